"""Test helpers over a real broker: clusters, unique names, topic creation, reading a topic to its end."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from confluent_kafka.admin import NewTopic

from ops.kafka import LocalCluster
from schemas.kafka_settings import KafkaSettings
from schemas.topics import TopicSpec
from streams.runtime import ClientFactory
from streams.runtime.clients import Isolation

__all__ = [
    "cache_dir",
    "consume_all",
    "create_topics",
    "new_cluster",
    "unique",
    "wait_until_committed",
]


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rax"
    return Path(os.environ.get("RAX_CACHE", default))


def new_cluster(run_dir: Path) -> LocalCluster:
    """A LocalCluster for tests: quick JVM start, the shared jar cache, KAFKA_HOME honoured."""
    return LocalCluster(
        run_dir, cache_dir=cache_dir(), kafka_home=os.environ.get("KAFKA_HOME") or None, jvm_profile="quick"
    )


def unique(prefix: str) -> str:
    """A name no other test uses (topics, groups, transactional ids)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_topics(settings: KafkaSettings, specs: Iterable[TopicSpec], replication: int = 1) -> None:
    admin = ClientFactory(settings, "test-admin").admin()
    new = [NewTopic(s.name, s.partitions, replication, config=s.configs()) for s in specs]
    for fut in admin.create_topics(new, operation_timeout=30).values():
        fut.result()


def _high_watermark(consumer: Consumer, tp: TopicPartition, timeout: float = 30.0) -> int:
    """The partition's end offset; retried while leadership moves (after a broker restart: NOT_LEADER)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return int(consumer.get_watermark_offsets(tp, timeout=10)[1])
        except KafkaException as exc:
            if not exc.args[0].retriable() and exc.args[0].code() != KafkaError.NOT_LEADER_FOR_PARTITION:
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def consume_all(
    settings: KafkaSettings,
    topic: str,
    *,
    expect: int | None = None,
    timeout: float = 30.0,
    read_committed: bool = True,
    extra: dict[str, Any] | None = None,
    group: str | None = None,
) -> list[Message]:
    """Every record of ``topic`` from the beginning: stops at ``expect`` records, or at the end offsets.

    ``group``: a group id the identity may use (on a secured broker: a region's group prefix).

    ``read_committed=False`` reads what open and aborted transactions wrote too (the factory's escape).
    """
    isolation: Isolation = "read_committed" if read_committed else "read_uncommitted"
    consumer = ClientFactory(settings, "test-reader").consumer(
        group or unique("reader"), extra, isolation=isolation
    )
    try:
        md = consumer.list_topics(topic, timeout=10).topics[topic]
        parts = [TopicPartition(topic, p) for p in md.partitions]
        ends = {}
        for tp in parts:
            ends[tp.partition] = _high_watermark(consumer, tp)
        consumer.assign([TopicPartition(topic, p, 0) for p in md.partitions])
        out: list[Message] = []
        positions = dict.fromkeys(ends, 0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if expect is not None and len(out) >= expect:
                break
            if expect is None and all(positions[p] >= ends[p] for p in ends):
                break
            msg = consumer.poll(0.2)
            if msg is None:
                if expect is None:
                    # transaction markers are not delivered: ask where the consumer stands instead
                    for tp in consumer.position([TopicPartition(topic, p) for p in ends]):
                        if tp.offset >= 0:
                            positions[tp.partition] = tp.offset
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise RuntimeError(f"consume {topic}: {msg.error()}")
            out.append(msg)
            positions[msg.partition()] = msg.offset() + 1
        return out
    finally:
        consumer.close()


def wait_until_committed(kafka: KafkaSettings, group: str, topics: list[str], timeout: float = 60.0) -> None:
    """Wait until ``group`` has committed every record of ``topics``: how a test knows "nothing more comes".

    A topic written in transactions ends in a transaction marker, never a committed offset: a partition
    is done when no committed record lies at or after the group's committed offset.
    """
    factory = ClientFactory(kafka, "test-offsets")
    consumer = factory.consumer(group)  # never subscribes: does not join the group
    try:
        deadline = time.monotonic() + timeout
        behind: list[str] = []
        while time.monotonic() < deadline:
            behind = _records_after_committed(factory, consumer, topics)
            if not behind:
                return
            time.sleep(0.2)
        raise AssertionError(f"group {group} did not catch up in {timeout} s: {behind}")
    finally:
        consumer.close()


def _records_after_committed(factory: ClientFactory, consumer: Any, topics: list[str]) -> list[str]:
    """The partitions of ``topics`` with a committed record at or after the group's committed offset."""
    start: dict[tuple[str, int], int] = {}
    ends: dict[tuple[str, int], int] = {}
    for topic in topics:
        md = consumer.list_topics(topic, timeout=10).topics[topic]
        parts = [TopicPartition(topic, p) for p in md.partitions]
        for tp in consumer.committed(parts, timeout=10):
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=10)
            done = max(tp.offset, 0)
            if high > done:
                start[(topic, tp.partition)], ends[(topic, tp.partition)] = done, high
    if not start:
        return []
    reader = factory.reader()
    try:
        reader.assign([TopicPartition(t, p, o) for (t, p), o in start.items()])
        behind: set[str] = set()
        pending = set(start)
        deadline = time.monotonic() + 10
        while pending and time.monotonic() < deadline:
            for msg in reader.consume(1000, 0.2):
                if msg.error() is None:
                    behind.add(f"{msg.topic()}[{msg.partition()}]")
                    pending.discard((msg.topic() or "", msg.partition() or 0))
            for tp in reader.position([TopicPartition(t, p) for t, p in pending]):
                if tp.offset >= ends[(tp.topic, tp.partition)]:
                    pending.discard((tp.topic, tp.partition))
        return sorted(behind | {f"{t}[{p}]" for t, p in pending})
    finally:
        reader.close()
