"""On three nodes (replication 3, min.insync.replicas=2), a broker killed mid-stream loses no acked record."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import KafkaError

from ops.kafka import LocalCluster
from schemas.kafka_settings import KafkaSettings
from schemas.topics import TopicKind, TopicSpec
from streams.runtime import ClientFactory
from tests.support.kafka import consume_all, create_topics, new_cluster, unique


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    cluster = new_cluster(tmp_path_factory.mktemp("kafka3"))
    cluster.start(nodes=3)
    try:
        yield cluster
    finally:
        cluster.stop()


def _leader_of(settings: KafkaSettings, topic: str, timeout: float = 30.0) -> int:
    """The leader of the topic's partition 0, once the broker asked knows it: on three nodes a topic
    just created may show no partitions, or no leader, in the first metadata answers."""
    admin = ClientFactory(settings, "test-admin").admin()
    deadline = time.monotonic() + timeout
    while True:
        meta = admin.list_topics(topic, timeout=10).topics.get(topic)
        part = meta.partitions.get(0) if meta is not None and meta.error is None else None
        if part is not None and part.leader >= 0:
            return int(part.leader)
        if time.monotonic() > deadline:
            raise TimeoutError(f"no leader of {topic}[0] known after {timeout:g} s: {meta}")
        time.sleep(0.2)


def test_killed_broker_loses_nothing_acked(cluster: LocalCluster, tmp_path: Path) -> None:
    settings = cluster.settings()
    topic = unique("rax.fault")
    create_topics(settings, [TopicSpec(topic, TopicKind.HITS, "k", 3, 3_600_000)], replication=3)
    victim = _leader_of(settings, topic)

    producer = ClientFactory(settings, "test-three-nodes").producer({"message.timeout.ms": 60000})
    acked: set[bytes] = set()
    failed: list[KafkaError] = []

    def report(err: KafkaError | None, msg: object) -> None:
        if err is not None:
            failed.append(err)
        else:
            acked.add(msg.value())  # type: ignore[attr-defined]

    total = 30_000
    killer = threading.Timer(0.5, cluster.kill_node, args=(victim,))
    killer.start()
    t0 = time.monotonic()
    for i in range(total):
        while True:
            try:
                producer.produce(
                    topic, key=f"plate-{i % 997}".encode(), value=f"{i}".encode(), on_delivery=report
                )
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
        if i % 1000 == 0:
            time.sleep(0.05)  # spread the stream over the kill
    assert producer.flush(90) == 0
    killer.join()
    elapsed = time.monotonic() - t0

    assert not failed, f"{len(failed)} records failed: {failed[:3]}"
    assert len(acked) == total
    records = consume_all(settings, topic, expect=total, timeout=60)
    values = [m.value() for m in records]
    assert len(values) == total, (
        f"read {len(values)} of {total} after killing node {victim} ({elapsed:.1f} s)"
    )
    assert set(values) == acked  # nothing lost, nothing written twice

    cluster.restart_node(victim)
