"""Reading ``rax.audit``, read-committed, for the records of one trace: filter bytes, decode few.

Without an index, every partition is read from its start (or from ``since``) to its end. A record is
decoded only if its value contains the query's needle or its key is a delivery already in the trace
(``Query``); everything else costs one substring search, in large fetched batches. With an index
(``ops.audit.index``), the indexed records of the subject and of the deliveries they concern are
fetched by offset, and only the log written since the index's last update is scanned that way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from ops.audit.index import AuditIndex, fetch_records, point_reader
from ops.audit.query import Query, TraceSubject
from schemas.audit import AuditRecord
from schemas.codec import DecodeError, decode
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

__all__ = ["ScanResult", "scan_audit"]

_FETCH = {
    "fetch.max.bytes": 64 * 1024 * 1024,
    "max.partition.fetch.bytes": 16 * 1024 * 1024,
    "queued.max.messages.kbytes": 512 * 1024,
    "fetch.wait.max.ms": 50,
}


@dataclass
class ScanResult:
    """The trace's records, how many were read and decoded, and how long it took."""

    records: list[AuditRecord] = field(default_factory=list)
    scanned: int = 0
    decoded: int = 0
    undecodable: int = 0
    seconds: float = 0.0


def _start(
    consumer: Consumer, topic: str, partitions: list[int], since: datetime | None
) -> list[TopicPartition]:
    """Where the scan starts: the beginning, or the first record written at ``since`` or later (a
    partition with none is read whole; its records are dropped by time afterwards, never missed)."""
    if since is None:
        return [TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions]
    ms = int(since.timestamp() * 1000)
    found = consumer.offsets_for_times([TopicPartition(topic, p, ms) for p in partitions], 30)
    return [
        TopicPartition(topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING) for tp in found
    ]


def scan_audit(
    settings: KafkaSettings,
    cat: Catalogue,
    query: Query,
    *,
    since: datetime | None = None,
    group: str | None = None,
    timeout: float = 60.0,
    index: AuditIndex | None = None,
) -> ScanResult:
    """The records of ``rax.audit`` that belong to ``query`` (read committed, to the end at start)."""
    began = time.perf_counter()
    topic = cat.audit
    consumer = ClientFactory(settings, "audit-trace").reader(
        _FETCH, group_id=group or f"{cat.operator_prefix}audit"
    )
    result = ScanResult()
    followed: set[bytes] = set()
    if query.subject == TraceSubject.DELIVERY:
        followed.add(query.value.encode())
    try:
        meta = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
        if meta is None or meta.error is not None:
            raise RuntimeError(f"topic {topic} does not exist: apply the zone (`rax zone apply`) first")
        partitions = sorted(meta.partitions)
        done = index.positions(topic) if index is not None else {}
        if index is not None and done:
            reader = point_reader(settings, cat)
            try:
                _indexed(reader, topic, query, index, followed, result)
            finally:
                reader.close()
            starts = [TopicPartition(topic, p, done.get(p, OFFSET_BEGINNING)) for p in partitions]
        else:
            starts = _start(consumer, topic, partitions, since)
        _scan(consumer, starts, query, followed, result, time.monotonic() + timeout)
    finally:
        consumer.close()
    if since is not None:
        result.records = [r for r in result.records if r.at >= since]
    result.seconds = time.perf_counter() - began
    return result


def _select(query: Query, key: bytes | None, value: bytes, followed: set[bytes], result: ScanResult) -> None:
    result.decoded += 1
    try:
        record = decode(value, AuditRecord)
    except DecodeError:
        result.undecodable += 1
        return
    if query.selects(record, key, followed):
        result.records.append(record)
        followed.add(record.delivery_id.encode())
        if key:
            followed.add(key)


def _indexed(
    consumer: Consumer, topic: str, query: Query, index: AuditIndex, followed: set[bytes], result: ScanResult
) -> None:
    """The indexed part: the subject's records, then every record of the deliveries they concern."""
    first = fetch_records(
        consumer, topic, index.lookup(topic, [query.value, *(f.decode() for f in followed)])
    )
    keys = {key.decode("utf-8", "replace") for _, key, _ in first if key}
    seen = {where for where, _, _ in first}
    more = fetch_records(consumer, topic, index.lookup(topic, keys) - seen)
    for _, key, value in sorted(first + more, key=lambda f: f[0]):
        result.scanned += 1
        _select(query, key, value, followed, result)


def _scan(
    consumer: Consumer,
    starts: list[TopicPartition],
    query: Query,
    followed: set[bytes],
    result: ScanResult,
    deadline: float,
) -> None:
    """Read from ``starts`` to the end of every partition, decoding only what the byte filter lets by."""
    topic = starts[0].topic if starts else ""
    pending = {tp.partition for tp in starts}
    consumer.assign(starts)
    needle = query.needle
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{topic} was not read to its end in time")
        for msg in consumer.consume(10_000, 1.0):
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    pending.discard(msg.partition() or 0)
                    continue
                raise RuntimeError(f"reading {topic}: {err}")
            result.scanned += 1
            value, key = msg.value(), msg.key()
            if value is None or (needle not in value and key not in followed):
                continue
            _select(query, key, value, followed, result)
