"""Keeps a worker's watchlist and zone current: reads both compacted topics to their end, then follows them.

Lifecycle: ``load(timeout)`` once before the first hit (returns when every partition was read to the end
offsets seen at the start), then ``poll()`` between batches; ``close()`` at the end. Uses no consumer
group (plain assignment): every worker reads every partition.
"""

from __future__ import annotations

import logging
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from schemas.codec import DecodeError, decode
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from schemas.zone import Zone, ZoneObject
from streams.hotpath.watchlist_state import WatchlistState

__all__ = ["SideTopics"]

log = logging.getLogger(__name__)


class SideTopics:
    """The watchlist and zone topics, followed by one consumer."""

    def __init__(self, settings: KafkaSettings, cat: Catalogue, watchlist: WatchlistState) -> None:
        self.cat = cat
        self.watchlist = watchlist
        self.zone: Zone | None = None
        self.zone_revision = 0
        self.bad_records = 0
        self._consumer = Consumer(
            {
                **settings.client_config(),
                "group.id": f"{cat.processor_prefix}hotpath-side",  # required by librdkafka; never committed
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "isolation.level": "read_committed",
                "enable.partition.eof": True,
                "fetch.max.bytes": 64 * 1024 * 1024,
            }
        )
        self._eof: set[tuple[str, int]] = set()
        self._partitions: list[TopicPartition] = []

    def _assign(self, timeout: float) -> None:
        md = self._consumer.list_topics(timeout=timeout)
        parts = []
        for topic in (self.cat.watchlist, self.cat.zone):
            meta = md.topics.get(topic)
            if meta is None or meta.error is not None:
                raise RuntimeError(f"topic {topic} does not exist: apply the zone first (`rax zone apply`)")
            parts += [TopicPartition(topic, p, OFFSET_BEGINNING) for p in meta.partitions]
        self._partitions = parts
        self._consumer.assign(parts)

    def load(self, timeout: float = 300.0) -> int:
        """Reads both topics to their end; returns the number of records applied."""
        self._assign(min(timeout, 30.0))
        deadline = time.monotonic() + timeout
        applied = 0
        want = {(tp.topic, tp.partition) for tp in self._partitions}
        while not want <= self._eof:
            if time.monotonic() > deadline:
                raise TimeoutError(f"watchlist/zone not read to the end within {timeout:.0f} s")
            applied += self.poll(10_000, 0.5)
        self.watchlist.mark_caught_up()
        log.info("loaded %d watchlist entries and zone revision %d", len(self.watchlist), self.zone_revision)
        return applied

    def poll(self, max_records: int = 10_000, timeout: float = 0.0) -> int:
        """Applies what arrived since the last call; cheap when nothing did."""
        applied = 0
        for msg in self._consumer.consume(max_records, timeout):
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    self._eof.add((msg.topic() or "", msg.partition() or 0))
                    continue
                log.warning("reading %s: %s", msg.topic(), err)
                continue
            self._eof.discard((msg.topic() or "", msg.partition() or 0))
            try:
                if msg.topic() == self.cat.zone:
                    self._apply_zone(msg.value())
                else:
                    self.watchlist.apply(msg.key(), msg.value())
                applied += 1
            except DecodeError as exc:
                # written only by our own processors: a bug or a newer contract; counted and logged
                self.bad_records += 1
                log.error(
                    "skipping bad record %s[%s]@%s: %s", msg.topic(), msg.partition(), msg.offset(), exc
                )
        if self._partitions and len(self._eof) == len(self._partitions):
            self.watchlist.mark_caught_up()  # every partition read to its end: the copy is current
        return applied

    def _apply_zone(self, value: bytes | None) -> None:
        if value is None:
            return
        obj = decode(value, ZoneObject)
        if obj.revision >= self.zone_revision or self.zone is None or obj.zone.name != self.zone.name:
            self.zone, self.zone_revision = obj.zone, obj.revision

    def close(self) -> None:
        self._consumer.close()
