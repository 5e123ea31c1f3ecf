"""Reads the records of one partition that precede an offset by up to a time window (dedup rebuild)."""

from __future__ import annotations

import time

from confluent_kafka import Consumer, TopicPartition

from schemas.kafka_settings import KafkaSettings

__all__ = ["read_window"]


def read_window(
    settings: KafkaSettings,
    group_id: str,
    topic: str,
    partition: int,
    end_offset: int,
    window_ms: int,
    timeout: float = 60.0,
) -> list[bytes | None]:
    """Values of ``topic[partition]`` from ``window_ms`` before the record at ``end_offset - 1`` up to it.

    The start is found by timestamp (the records' CreateTime), measured back from the newest processed
    record's own timestamp, not from now, so a worker that was down for an hour still rebuilds the
    window its predecessor had. ``group_id`` is never joined or committed (plain assignment).
    """
    consumer = Consumer(
        {
            **settings.client_config(),
            "group.id": group_id,
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        consumer.assign([TopicPartition(topic, partition, end_offset - 1)])
        msg = consumer.poll(2.0)  # the offset may be a transaction marker: then the next record, or none
        newest_ms = msg.timestamp()[1] if msg is not None and msg.error() is None else int(time.time() * 1000)
        found = consumer.offsets_for_times(
            [TopicPartition(topic, partition, max(0, newest_ms - window_ms))], timeout=10
        )
        start = found[0].offset
        if start < 0 or start >= end_offset:
            start = max(0, end_offset - 1)
        tp = TopicPartition(topic, partition, start)
        consumer.assign([tp])
        values: list[bytes | None] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batch = consumer.consume(10_000, 0.2)
            values += [m.value() for m in batch if m.error() is None and (m.offset() or 0) < end_offset]
            if not batch:
                position = consumer.position([TopicPartition(topic, partition)])[0].offset
                if position >= end_offset:  # transaction markers are skipped: ask where we stand
                    break
            elif any((m.offset() or 0) >= end_offset - 1 for m in batch):
                break
        return values
    finally:
        consumer.close()
