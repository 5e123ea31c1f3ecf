"""Stage 1 of the escalate processor decides a read at once when it holds the read's inbox partition: its
idea of that partition must be the one the runtime's producers choose on a real broker."""

from __future__ import annotations

from confluent_kafka import KafkaError, Message
from confluent_kafka.admin import NewTopic

from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.escalate.intake import partition_of
from streams.runtime import ClientFactory


def test_the_inbox_partition_of_a_plate_is_where_the_runtimes_producer_puts_it(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    topic, partitions = f"{catalogue.namespace}.partitioned", 6
    admin = ClientFactory(kafka, "test-admin").admin()
    for fut in admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=30).values():
        fut.result()
    keys = [f"{p}{n:05d}".encode() for p in ("川A", "渝B", "粤Z", "港", "WJ") for n in range(0, 60_000, 997)]
    keys += [b"convoy|510521-KK-0042", "convoy|川A12345|渝B00001".encode()]
    placed: dict[bytes, int] = {}

    def delivered(err: KafkaError | None, msg: Message) -> None:
        assert err is None, err
        placed[msg.key() or b""] = msg.partition() or 0

    producer = ClientFactory(kafka, "test").producer()  # the runtime's producer settings
    for key in keys:
        producer.produce(topic, b"x", key, on_delivery=delivered)
    assert producer.flush(30) == 0
    assert len(set(placed.values())) == partitions  # the keys spread over every partition
    assert {k: partition_of(k, partitions) for k in keys} == placed
