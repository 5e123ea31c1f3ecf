"""Makes the attempts of the least-privilege table on a secured broker, batched, and reports what happened.

For one identity: one metadata request (the topics it may describe are the ones listed), one producer
for every write, one consumer subscribed to every read (each topic holds a seeded record in partition 0),
one offset commit per consumer group, one ``init_transactions`` per transactional id and one validate-only
topic creation per name. Each attempt ends allowed or denied by its authorization error; anything else
(a timeout, another error) is reported as such so the test fails loudly instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import NewTopic

from ops.zone.privileges import Attempt, Op
from schemas.kafka_settings import KafkaSettings
from streams.runtime import ClientFactory

__all__ = ["Outcome", "seed", "try_all"]

#: "allowed", "denied", or what went wrong otherwise
Outcome = str

_DENIED = {
    KafkaError.TOPIC_AUTHORIZATION_FAILED,
    KafkaError.GROUP_AUTHORIZATION_FAILED,
    KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    KafkaError.CLUSTER_AUTHORIZATION_FAILED,
}


def _judge(err: KafkaError | None) -> Outcome:
    if err is None:
        return "allowed"
    return "denied" if err.code() in _DENIED else f"error: {err.str()}"


def seed(admin: KafkaSettings, topics: list[str]) -> None:
    """One record at offset 0 of partition 0 of every topic, so that a permitted read has one to see."""
    producer = ClientFactory(admin, "acl-matrix-seed").producer()
    errors: list[KafkaError] = []
    for topic in topics:
        producer.produce(topic, b"{}", b"seed", partition=0, on_delivery=lambda e, _m: e and errors.append(e))
    assert producer.flush(30) == 0 and not errors, errors


def _describe(settings: KafkaSettings, attempts: list[Attempt]) -> dict[Attempt, Outcome]:
    listed = ClientFactory(settings, "acl-matrix").admin().list_topics(timeout=15).topics
    return {a: "allowed" if a.name in listed else "denied" for a in attempts}


def _write(settings: KafkaSettings, attempts: list[Attempt]) -> dict[Attempt, Outcome]:
    producer = ClientFactory(settings, "acl-matrix").producer({"message.timeout.ms": 10000, "linger.ms": 0})
    results: dict[Attempt, Outcome] = {}
    for a in attempts:

        def done(err: KafkaError | None, _m: object, a: Attempt = a) -> None:
            results[a] = _judge(err)

        producer.produce(a.name, b"{}", b"matrix", on_delivery=done)
    producer.flush(20)
    return {a: results.get(a, "error: no delivery report") for a in attempts}


def _read(settings: KafkaSettings, group: str, attempts: list[Attempt]) -> dict[Attempt, Outcome]:
    by_topic = {a.name: a for a in attempts}
    # subscribed, not assigned: librdkafka reports a subscribed topic it may not describe as an error
    # naming the topic (an assigned one it silently skips), and a fetch it may not make per partition
    consumer = ClientFactory(settings, "acl-matrix").consumer(group, isolation="read_uncommitted")
    results: dict[Attempt, Outcome] = {}
    try:
        consumer.subscribe(list(by_topic))
        for _ in range(80):  # 20 s at most; usually every topic answers in the first second
            if len(results) == len(by_topic):
                break
            for msg in consumer.consume(500, 0.25):
                topic, err = msg.topic(), msg.error()
                if topic not in by_topic:
                    continue
                if err is None:
                    results[by_topic[topic]] = "allowed"
                elif err.code() in _DENIED:
                    results[by_topic[topic]] = "denied"
    finally:
        consumer.close()
    return {a: results.get(a, "error: neither a record nor a refusal in 20 s") for a in attempts}


def _join(settings: KafkaSettings, readable: str, attempt: Attempt) -> Outcome:
    """An offset commit in the group, which the broker authorises as joining it (READ on the group)."""
    admin = ClientFactory(settings, "acl-matrix").admin()
    request = [ConsumerGroupTopicPartitions(attempt.name, [TopicPartition(readable, 0, 0)])]
    try:
        result = admin.alter_consumer_group_offsets(request, request_timeout=10)[attempt.name].result()
    except KafkaException as exc:
        return _judge(exc.args[0])
    errors = [tp.error for tp in result.topic_partitions or [] if tp.error is not None]
    return _judge(errors[0]) if errors else "allowed"


def _transact(settings: KafkaSettings, attempt: Attempt) -> Outcome:
    producer = ClientFactory(settings, "acl-matrix").producer(
        {"transactional.id": attempt.name, "transaction.timeout.ms": 10000}
    )
    try:
        producer.init_transactions(10)
    except KafkaException as exc:
        return _judge(exc.args[0])
    return "allowed"


def _create(settings: KafkaSettings, attempt: Attempt) -> Outcome:
    admin = ClientFactory(settings, "acl-matrix").admin()
    fut = admin.create_topics([NewTopic(attempt.name, 1, 1)], validate_only=True, request_timeout=10)
    try:
        fut[attempt.name].result()
    except KafkaException as exc:
        return _judge(exc.args[0])
    return "allowed"


def try_all(
    settings: KafkaSettings, attempts: list[Attempt], *, group: str, readable: str
) -> dict[Attempt, Outcome]:
    """Every attempt as ``settings``' identity; ``group`` and ``readable``: a group and topic it may use."""
    of = {op: [a for a in attempts if a.op is op] for op in Op}
    single: dict[Op, Callable[[Attempt], Outcome]] = {
        Op.JOIN: lambda a: _join(settings, readable, a),
        Op.TRANSACT: lambda a: _transact(settings, a),
        Op.CREATE: lambda a: _create(settings, a),
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        batches = [
            pool.submit(_describe, settings, of[Op.DESCRIBE]),
            pool.submit(_write, settings, of[Op.WRITE]),
            pool.submit(_read, settings, group, of[Op.READ]),
        ]
        one = {a: pool.submit(fn, a) for op, fn in single.items() for a in of[op]}
        out: dict[Attempt, Outcome] = {}
        for b in batches:
            out |= b.result()
        out |= {a: f.result() for a, f in one.items()}
    return out
