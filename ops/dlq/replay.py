"""Reads a component's dead-letter topic and sends chosen records back to the topic they came from.

A replay writes the original key and bytes to the original source topic, with one extra header
(``rax.replayed.from`` = dead-letter topic, partition and offset) so the replayed record can be told
apart in the logs. The processors are idempotent downstream (deterministic event and delivery ids), so
replaying a record twice delivers nothing twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

from schemas.dlq import DeadLetter, DlqHeaderError, parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

__all__ = ["REPLAY_HEADER", "DeadRecord", "read_dead_letters", "replay"]

REPLAY_HEADER = "rax.replayed.from"


@dataclass(frozen=True)
class DeadRecord:
    """One dead letter: where it sits, its context and its original bytes."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    letter: DeadLetter | None  # None when its headers are not a valid dead-letter header set
    header_error: str | None = None


def read_dead_letters(
    settings: KafkaSettings,
    cat: Catalogue,
    component: str,
    keep: Callable[[DeadRecord], bool] = lambda _r: True,
    timeout: float = 30.0,
) -> list[DeadRecord]:
    """Every dead letter of ``component`` that ``keep`` selects, oldest first per partition."""
    topic = cat.dlq(component)
    # assigned, never joined: the group id (<prefix>dlq-reader) is only librdkafka's requirement
    consumer = ClientFactory(settings, f"{cat.processor_prefix}dlq").reader()
    try:
        parts = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
        done: set[int] = set()
        out: list[DeadRecord] = []
        deadline = time.monotonic() + timeout
        while len(done) < len(parts) and time.monotonic() < deadline:
            for msg in consumer.consume(1000, 0.5):
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        done.add(msg.partition() or 0)
                    continue
                raw = msg.headers()
                headers = list(raw.items()) if isinstance(raw, dict) else raw
                try:
                    record = DeadRecord(
                        msg.partition() or 0,
                        msg.offset() or 0,
                        msg.key(),
                        msg.value(),
                        parse_dlq_headers(headers),
                    )
                except DlqHeaderError as exc:
                    record = DeadRecord(
                        msg.partition() or 0, msg.offset() or 0, msg.key(), msg.value(), None, str(exc)
                    )
                if keep(record):
                    out.append(record)
        return out
    finally:
        consumer.close()


def replay(settings: KafkaSettings, cat: Catalogue, component: str, records: list[DeadRecord]) -> int:
    """Sends ``records`` back to their source topics; returns how many Kafka acknowledged."""
    producer = ClientFactory(settings, f"{cat.processor_prefix}dlq-replay").producer()
    errors: list[KafkaError] = []
    sent = 0
    for r in records:
        if r.letter is None or not r.letter.source_topic:
            raise ValueError(
                f"dead letter at {cat.dlq(component)}[{r.partition}]@{r.offset} names no source topic"
            )
        origin = f"{cat.dlq(component)}:{r.partition}:{r.offset}".encode()
        producer.produce(
            r.letter.source_topic,
            r.value,
            r.key,
            headers=[(REPLAY_HEADER, origin)],
            on_delivery=lambda err, _m: errors.append(err) if err else None,
        )
        producer.poll(0)
        sent += 1
    if producer.flush(60) or errors:
        raise RuntimeError(f"{len(errors)} replayed records were not accepted: {errors[:3]}")
    return sent
