"""A local index of ``rax.audit`` for traces: which partition and offset hold the records of a term.

One file per audit topic (namespace). Terms of a record: its plates, its subject id and its key (the
delivery it concerns: its disclosure, acknowledgements, answers and breaches share it), each stored as
a 64-bit hash. ``AuditIndex.update`` reads the log from where it
stopped to the end (read committed), decoding each record once; a trace then looks its subject up,
fetches those records, follows their delivery ids, and scans with the byte filter only the part of
the log written since the last update. The index is derived from ``rax.audit`` alone and can be
deleted and rebuilt at any time.

Lifecycle: ``AuditIndex(path)`` opens (creates) the SQLite file; ``update`` and ``lookup`` any number
of times; ``close``.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

__all__ = ["AuditIndex", "fetch_records", "point_reader", "record_terms", "term_hash"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS position (topic TEXT, partition INTEGER, next INTEGER,
                                     PRIMARY KEY (topic, partition));
CREATE TABLE IF NOT EXISTS term (term INTEGER, partition INTEGER, "offset" INTEGER);
CREATE INDEX IF NOT EXISTS term_by_term ON term (term);
"""

Located = tuple[int, int]  # (partition, offset)


def term_hash(term: str) -> int:
    """A term as a signed 64-bit integer (the index stores these: a third of the size of the text).
    A collision only makes a trace read a record it then does not select."""
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "big", signed=True)


def record_terms(key: bytes | None, value: bytes) -> set[int]:
    """The hashed terms of one audit record (its plates, subject id and key); none if it is no JSON."""
    try:
        fields = orjson.loads(value)
    except orjson.JSONDecodeError:
        return set()
    terms = {p for p in fields.get("plates") or () if isinstance(p, str)}
    if isinstance(fields.get("subject_id"), str):
        terms.add(fields["subject_id"])
    if key:
        terms.add(key.decode("utf-8", "replace"))
    return {term_hash(t) for t in terms}


class AuditIndex:
    """Terms → (partition, offset) of ``rax.audit`` records, and how far the log was indexed."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.executescript(_SCHEMA)
        topics = {t for (t,) in self._db.execute("SELECT DISTINCT topic FROM position")}
        if len(topics) > 1:
            raise RuntimeError(f"{path} indexes {sorted(topics)}: one index file per audit topic")

    def close(self) -> None:
        self._db.close()

    def positions(self, topic: str) -> dict[int, int]:
        """The next offset to index, per partition of ``topic`` (partitions never indexed are absent)."""
        rows = self._db.execute("SELECT partition, next FROM position WHERE topic = ?", (topic,))
        return {p: n for p, n in rows}

    def lookup(self, topic: str, terms: Iterable[str]) -> set[Located]:
        """Where the records of any of ``terms`` are (``topic``: the index's; another has none)."""
        if not self.positions(topic):
            return set()
        found: set[Located] = set()
        for term in set(terms):
            rows = self._db.execute('SELECT partition, "offset" FROM term WHERE term = ?', (term_hash(term),))
            found.update((p, o) for p, o in rows)
        return found

    def update(self, settings: KafkaSettings, cat: Catalogue, timeout: float = 600.0) -> tuple[int, float]:
        """Index the log from where the index stopped to its end; returns (records indexed, seconds)."""
        began, topic = time.perf_counter(), cat.audit
        consumer = ClientFactory(settings, "audit-index").reader(group_id=f"{cat.operator_prefix}audit-index")
        done = self.positions(topic)
        count, rows = 0, []
        try:
            meta = consumer.list_topics(topic, timeout=30).topics.get(topic)
            if meta is None or meta.error is not None:
                raise RuntimeError(f"topic {topic} does not exist: apply the zone (`rax zone apply`) first")
            pending = set(meta.partitions)
            consumer.assign([TopicPartition(topic, p, done.get(p, OFFSET_BEGINNING)) for p in pending])
            deadline = time.monotonic() + timeout
            while pending:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{topic} was not indexed to its end within {timeout} s")
                for msg in consumer.consume(10_000, 1.0):
                    err = msg.error()
                    if err is not None:
                        if err.code() == KafkaError._PARTITION_EOF:
                            pending.discard(msg.partition() or 0)
                            continue
                        raise RuntimeError(f"reading {topic}: {err}")
                    value = msg.value()
                    if value:
                        where = (msg.partition(), msg.offset())
                        rows += [(t, *where) for t in record_terms(msg.key(), value)]
                        count += 1
                if len(rows) > 200_000:
                    self._db.executemany("INSERT INTO term VALUES (?, ?, ?)", rows)
                    rows = []
            self._db.executemany("INSERT INTO term VALUES (?, ?, ?)", rows)
            # the end: the position of each partition (after transaction markers too)
            ends = consumer.position([TopicPartition(topic, p) for p in meta.partitions])
            self._db.executemany(
                "INSERT OR REPLACE INTO position VALUES (?, ?, ?)",
                [(topic, tp.partition, tp.offset) for tp in ends if tp.offset >= 0],
            )
            self._db.commit()
        except BaseException:
            self._db.rollback()
            raise
        finally:
            consumer.close()
        return count, time.perf_counter() - began


#: Point reads: small fetches (a seek must not pull megabytes it throws away), no waiting for more.
_POINT = {
    "fetch.max.bytes": 1024 * 1024,
    "max.partition.fetch.bytes": 32 * 1024,
    "fetch.wait.max.ms": 5,
    "queued.min.messages": 1,
    # librdkafka waits fetch.queue.backoff.ms (1 s) after a re-assignment before fetching again: 100 ms a
    # seek measured; without it ~1-2 ms
    "fetch.queue.backoff.ms": 0,
    "fetch.error.backoff.ms": 0,
}


def point_reader(settings: KafkaSettings, cat: Catalogue) -> Consumer:
    """A consumer tuned for reading single records by offset (close it after use)."""
    return ClientFactory(settings, "audit-fetch").reader(_POINT, group_id=f"{cat.operator_prefix}audit")


def fetch_records(
    consumer: Consumer, topic: str, where: set[Located]
) -> list[tuple[Located, bytes | None, bytes]]:
    """The records at ``where`` (key, value), in (partition, offset) order; one seek per run of offsets
    (``consumer``: a ``point_reader``)."""
    out: list[tuple[Located, bytes | None, bytes]] = []
    wanted = sorted(where)
    i = 0
    while i < len(wanted):
        partition, offset = wanted[i]
        consumer.assign([TopicPartition(topic, partition, offset)])
        while i < len(wanted) and wanted[i][0] == partition:
            msg = consumer.poll(10.0)
            if msg is None:
                raise TimeoutError(f"{topic}[{partition}]@{wanted[i][1]} could not be read")
            if msg.error() is not None:
                if msg.error().code() == KafkaError._PARTITION_EOF:  # type: ignore[union-attr]
                    i += 1  # deleted by retention, or an aborted record: nothing to show
                    break
                raise RuntimeError(f"reading {topic}: {msg.error()}")
            got = (partition, msg.offset() or 0)
            if got < wanted[i]:
                continue
            while i < len(wanted) and wanted[i] < got and wanted[i][0] == partition:
                i += 1  # gone from the log (retention): skip
            if i < len(wanted) and wanted[i] == got:
                out.append((got, msg.key(), msg.value() or b""))
                i += 1
            if i < len(wanted) and wanted[i][0] == partition and wanted[i][1] > got[1] + 1000:
                break  # far ahead: seek instead of reading through
    return out
