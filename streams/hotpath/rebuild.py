"""Reads what precedes an offset by up to a time window, for many partitions at once (dedup rebuild)."""

from __future__ import annotations

import time

from confluent_kafka import Consumer, TopicPartition

from schemas.kafka_settings import KafkaSettings

__all__ = ["read_windows"]

Part = tuple[str, int]


def read_windows(
    settings: KafkaSettings, group_id: str, ends: dict[Part, int], window_ms: int, timeout: float = 60.0
) -> dict[Part, list[bytes | None]]:
    """Per partition, the values from ``window_ms`` before the record at ``end - 1`` up to ``end``.

    The start is found by timestamp (the records' CreateTime), measured back from each partition's
    newest processed record, not from now, so a worker that was down for an hour still rebuilds the
    window its predecessor had. One consumer serves every partition, so a rebalance that hands over
    many partitions costs a few round trips, not a few per partition. ``group_id`` is never joined or
    committed (plain assignment).
    """
    out: dict[Part, list[bytes | None]] = {p: [] for p in ends}
    if not ends:
        return out
    consumer = Consumer(
        {
            **settings.client_config(),
            "group.id": group_id,
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        newest = _newest_timestamps(consumer, ends)
        wanted = [TopicPartition(t, p, max(0, newest[(t, p)] - window_ms)) for (t, p) in ends]
        starts = {
            (tp.topic, tp.partition): tp.offset for tp in consumer.offsets_for_times(wanted, timeout=10)
        }
        assign = []
        for part, end in ends.items():
            start = starts.get(part, -1)
            assign.append(TopicPartition(part[0], part[1], start if 0 <= start < end else max(0, end - 1)))
        consumer.assign(assign)
        pending = set(ends)
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            batch = consumer.consume(10_000, 0.2)
            for m in batch:
                part = (m.topic() or "", m.partition() or 0)
                if m.error() is None and part in pending and (m.offset() or 0) < ends[part]:
                    out[part].append(m.value())
            # transaction markers are never delivered: ask where the consumer stands instead
            for tp in consumer.position([TopicPartition(t, p) for t, p in pending]):
                if tp.offset >= ends[(tp.topic, tp.partition)]:
                    pending.discard((tp.topic, tp.partition))
        return out
    finally:
        consumer.close()


def _newest_timestamps(consumer: Consumer, ends: dict[Part, int]) -> dict[Part, int]:
    """The timestamp of the last processed record of each partition (now, where none is readable)."""
    now_ms = int(time.time() * 1000)
    found = dict.fromkeys(ends, now_ms)
    consumer.assign([TopicPartition(t, p, end - 1) for (t, p), end in ends.items()])
    pending = set(ends)
    deadline = time.monotonic() + 2.0  # the offset may be a transaction marker: then the next record, or none
    while pending and time.monotonic() < deadline:
        for m in consumer.consume(len(pending) * 10, 0.2):
            part = (m.topic() or "", m.partition() or 0)
            if m.error() is None and part in pending:
                found[part] = m.timestamp()[1]
                pending.discard(part)
    return found
