"""The control processor driven the way the runtime drives it, without a broker, for unit tests.

``Harness`` has one inbox partition; each batch is committed (outputs kept, store changes kept as the
changelog), records written to the inbox are fed back as the next batches, and ``restart`` restores the
stores of a new processor from that changelog, as a worker restarted after a crash would.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry

from schemas.codec import encode
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from schemas.zone import Zone, ZoneObject
from streams.control.processor import ControlProcessor
from streams.runtime import ClientFactory, Context, DeadLetterBuilder, Outgoing
from streams.runtime.stores import Stores
from tests.support.control import control_settings
from tests.support.records import Rec

__all__ = ["Harness"]


class Harness:
    """A ``ControlProcessor`` run the way the loop runs it, with one inbox partition and no Kafka."""

    def __init__(self, zone: Zone, **over: Any) -> None:
        self.settings = control_settings(
            KafkaSettings(bootstrap_servers="127.0.0.1:1"), Catalogue("t"), **over
        )
        self.cat = self.settings.catalogue
        self.scope = (self.cat.control_inbox, 0)
        self.zone = ZoneObject(revision=1, published_at=datetime.now(UTC), published_by="test", zone=zone)
        self.now = time.time()
        self.committed: list[Outgoing] = []  # every output of every committed transaction
        self.changelog: dict[tuple[str, bytes], bytes | None] = {}
        self._offsets: dict[str, int] = {}
        self._start()

    def _start(self) -> None:
        self.registry = CollectorRegistry()
        factory = ClientFactory(self.settings.runtime.kafka, "test-control")
        self.processor = ControlProcessor(self.settings, factory, self.registry)
        self.processor.zone.apply(None, encode(self.zone))
        self.stores = Stores(self.processor.store_specs(), lambda s: self.cat.changelog("control", s), 6)
        for (topic, key), value in self.changelog.items():
            name = next(n for n, t in self.stores.topic_of.items() if t == topic)
            self.stores.apply_changelog(name, {self.scope}, key, value)
        self.stores.clean()
        self.processor.assigned(self.scope, self.stores)

    def restart(self) -> None:
        """A new processor whose stores are restored from what was committed (a crash loses the rest)."""
        self._start()

    def _context(self) -> Context:
        return Context(self.now, self.stores, DeadLetterBuilder(self.cat.dlq("control"), "control"))

    def _commit(self, ctx: Context) -> list[Rec]:
        self.committed += ctx.out
        for topic, _, key, value in self.stores.changes():
            self.changelog[(topic, key)] = value
        self.stores.clean()
        return [self._record(o.topic, o.key, o.value, o.headers) for o in ctx.out if o.topic == self.scope[0]]

    def _record(self, topic: str, key: bytes | None, value: bytes | None, headers: Any = None) -> Rec:
        offset = self._offsets.get(topic, 0)
        self._offsets[topic] = offset + 1
        own = [(k, v if isinstance(v, bytes) else str(v).encode()) for k, v in headers or ()]
        return Rec(topic, value, offset, 0, key, own, int(self.now * 1000))

    def run(self, batch: list[Rec]) -> None:
        """Process ``batch`` and then, batch after batch, what it wrote to the inbox."""
        while batch:
            ctx = self._context()
            self.processor.process(batch, ctx)
            self.processor.between_batches()
            batch = self._commit(ctx)

    def send(self, topic: str, key: bytes | None, value: bytes | None, headers: Any = None) -> None:
        self.run([self._record(topic, key, value, headers)])

    def tick(self, at: float) -> None:
        self.now = at
        ctx = self._context()
        self.processor.tick(ctx)
        self.run(self._commit(ctx))

    def out(self, topic: str) -> list[Outgoing]:
        return [o for o in self.committed if o.topic == topic]

    def store(self, name: str) -> dict[str, Any]:
        return dict(self.stores.get(name, self.scope))
