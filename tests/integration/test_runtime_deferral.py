"""A loop yielding to another processor on a real broker: the other group's lag read from the brokers,
the loop's partitions paused while that group is behind and resumed once it caught up."""

from __future__ import annotations

from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic

from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory, RuntimeSettings, StreamLoop
from streams.runtime.deferral import group_lag
from tests.integration.test_runtime_overlap import Copier
from tests.support.control import wait_for
from tests.support.hotpath import running_loop
from tests.support.processors import source_and_sink


def _commit(kafka: KafkaSettings, group: str, offsets: list[TopicPartition]) -> None:
    consumer = ClientFactory(kafka, "test-committer").consumer(group)
    try:
        consumer.commit(offsets=offsets, asynchronous=False)
    finally:
        consumer.close()


def test_a_group_lag_counts_the_partitions_it_committed(kafka: KafkaSettings, catalogue: Catalogue) -> None:
    topic, group = f"{catalogue.namespace}.lagging", f"{catalogue.processor_prefix}other"
    factory = ClientFactory(kafka, "test-admin")
    admin = factory.admin()
    for fut in admin.create_topics([NewTopic(topic, 2, 1)], operation_timeout=30).values():
        fut.result()
    producer = factory.producer()
    for n in range(20):
        producer.produce(topic, b"x", str(n).encode(), partition=0)
    producer.produce(topic, b"x", b"y", partition=1)
    assert producer.flush(30) == 0
    assert group_lag(admin, group, 10) == 0  # a group that never committed is not behind
    _commit(kafka, group, [TopicPartition(topic, 0, 5)])
    assert group_lag(admin, group, 10) == 15  # partition 1 never committed: not counted
    _commit(kafka, group, [TopicPartition(topic, 0, 20)])
    assert group_lag(admin, group, 10) == 0
    gone = f"{catalogue.namespace}.gone"  # a topic the group committed on, deleted since
    for fut in admin.create_topics([NewTopic(gone, 1, 1)], operation_timeout=30).values():
        fut.result()
    _commit(kafka, group, [TopicPartition(gone, 0, 0), TopicPartition(topic, 0, 10)])
    for fut in admin.delete_topics([gone], operation_timeout=30).values():
        fut.result()
    assert group_lag(admin, group, 10) == 10  # the deleted topic's partition left out, not the answer


def test_a_loop_waits_while_the_group_it_defers_to_is_behind_and_then_processes_everything(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    cat = catalogue
    source, sink = source_and_sink(kafka, cat)
    producer = ClientFactory(kafka, "test").producer()
    for n in range(30):
        producer.produce(source, f"r{n}".encode(), str(n).encode())
    assert producer.flush(30) == 0
    other = f"{cat.processor_prefix}other"
    _commit(kafka, other, [TopicPartition(source, 0, 2)])  # the other processor: 28 records behind

    processor = Copier(source, sink)
    runtime = RuntimeSettings(
        kafka=kafka, namespace=cat.namespace, worker_id="deferring", defer_to="other", defer_lag=10
    )
    loop = StreamLoop(processor, runtime)

    def gauge() -> float | None:
        return loop.registry.get_sample_value("rax_runtime_deferring", {"processor": "hotpath"})

    with running_loop(loop):
        # the deferral is decided before every consume, the first one included: once the partition is
        # assigned and the gauge says paused, no record of it can be handed out until the gauge drops
        wait_for(lambda: (source, 0) in loop._assigned and gauge() == 1, 60, "assigned and paused")
        assert processor.counted == []
        committed = ClientFactory(kafka, "test-peek").consumer(loop.group_id)
        try:
            assert committed.committed([TopicPartition(source, 0)], timeout=10)[0].offset < 0  # none
        finally:
            committed.close()
        _commit(kafka, other, [TopicPartition(source, 0, 25)])  # 5 behind: within the bound
        wait_for(lambda: len(processor.counted) == 30, 60, "every record processed after the deferral")
        assert gauge() == 0
    assert sorted(processor.counted) == list(range(30))
