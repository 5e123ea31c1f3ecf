"""Global tables: compacted topics every worker reads whole (zone, watchlist), loaded before the first batch.

Lifecycle: ``load(timeout)`` reads every partition of the topics to the end offsets seen at the start
(raises ``TimeoutError`` otherwise), then ``poll()`` between batches applies what arrived since; ``close()``
at the end. Plain assignment, no consumer group: every worker reads every partition. A record the
``apply`` function refuses (it raises ``ValueError``) was written by a processor or an operator, not a
region: it is counted and logged, and the table goes on. A record sealed at rest (``rax.watchlist`` with
the processors' at-rest key) is opened first; one that does not open is counted and logged the same
way, and a reader without the key stops with the reason: it cannot run on half a table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from confluent_kafka import OFFSET_BEGINNING, KafkaError, Message, TopicPartition

from schemas.codec import decode
from schemas.zone import ZoneObject
from streams.runtime.at_rest import RestProtection
from streams.runtime.clients import ClientFactory

__all__ = ["GlobalTables", "newer_zone"]

log = logging.getLogger(__name__)


def newer_zone(value: bytes | None, revision: int | None) -> ZoneObject | None:
    """The zone a ``rax.zone`` record holds when it is at or past ``revision`` (None: no zone held yet);
    None for a tombstone or an older revision. Raises ``DecodeError`` (a ``ValueError``, which
    ``GlobalTables`` counts and logs) for a record that is not a zone."""
    if value is None:
        return None
    obj = decode(value, ZoneObject)
    return obj if revision is None or obj.revision >= revision else None


class GlobalTables:
    """Follows ``topics``, handing each record to ``apply(message)``."""

    def __init__(
        self,
        factory: ClientFactory,
        topics: list[str],
        apply: Callable[[Message], None],
        group_id: str | None = None,
        rest: RestProtection | None = None,
    ) -> None:
        self.topics = topics
        self._apply = apply
        self._rest = rest
        self._consumer = factory.reader({"fetch.max.bytes": 64 * 1024 * 1024}, group_id=group_id)
        self._eof: set[tuple[str, int]] = set()
        self._partitions: list[TopicPartition] = []
        self.bad_records = 0
        self.caught_up_at = 0.0  # monotonic time every partition was last read to its end

    def _assign(self, timeout: float) -> None:
        md = self._consumer.list_topics(timeout=timeout)
        parts = []
        for topic in self.topics:
            meta = md.topics.get(topic)
            if meta is None or meta.error is not None:
                raise RuntimeError(f"topic {topic} does not exist: apply the zone first (`rax zone apply`)")
            parts += [TopicPartition(topic, p, OFFSET_BEGINNING) for p in meta.partitions]
        self._partitions = parts
        self._consumer.assign(parts)

    def load(self, timeout: float = 300.0) -> int:
        """Read every topic to its end; returns the number of records applied."""
        self._assign(min(timeout, 30.0))
        deadline = time.monotonic() + timeout
        applied = 0
        want = {(tp.topic, tp.partition) for tp in self._partitions}
        while not want <= self._eof:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{', '.join(self.topics)} not read to the end within {timeout:.0f} s")
            applied += self.poll(10_000, 0.5)
        return applied

    def poll(self, max_records: int = 10_000, timeout: float = 0.0) -> int:
        """Apply what arrived since the last call; cheap when nothing did."""
        applied = 0
        for msg in self._consumer.consume(max_records, timeout):
            where = (msg.topic() or "", msg.partition() or 0)
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    self._eof.add(where)
                else:
                    log.warning("reading %s: %s", msg.topic(), err)
                continue
            self._eof.discard(where)
            if self._rest is not None:
                opened, why = self._rest.opened(msg)
                if why is not None:
                    if self._rest.cipher is None:
                        raise RuntimeError(why)
                    self.bad_records += 1
                    log.error("skipping %s[%s]@%s: %s", msg.topic(), msg.partition(), msg.offset(), why)
                    continue
                msg = opened
            try:
                self._apply(msg)
                applied += 1
            except ValueError as exc:
                self.bad_records += 1
                log.error(
                    "skipping bad record %s[%s]@%s: %s", msg.topic(), msg.partition(), msg.offset(), exc
                )
        if self._partitions and len(self._eof) == len(self._partitions):
            self.caught_up_at = time.monotonic()
        return applied

    def close(self) -> None:
        self._consumer.close()
