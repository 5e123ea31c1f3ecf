"""The benchmark's clients, all from ``streams.runtime.ClientFactory``: connector-like producers, baselines.

The figures compare like with like: the generator and the baselines get the factory's guarantees
(idempotence, ``acks=all``, murmur2, read-committed) and add only the batching the connectors and the
worker use, through ``extra``.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import Consumer, Producer

from schemas.kafka_settings import KafkaSettings
from streams.runtime import ClientFactory
from streams.runtime.clients import FETCH_MIN_BYTES, FETCH_WAIT_MAX_MS

#: the connectors' batching (``connectors.sdk.producer.batching`` with its defaults), compression aside
_CONNECTOR_BATCHING: dict[str, Any] = {
    "linger.ms": 20,
    "batch.size": 1_000_000,
    "queue.buffering.max.messages": 500_000,
    "queue.buffering.max.kbytes": 1_048_576,
}


def clients(bootstrap: str, client_id: str = "bench") -> ClientFactory:
    """The factory for the benchmark's broker (plaintext, no credentials)."""
    return ClientFactory(KafkaSettings(bootstrap_servers=bootstrap), client_id)


def make_producer(
    bootstrap: str, compression: str, errors: list[Any] | None = None, extra: dict[str, Any] | None = None
) -> Producer:
    """A producer batching like the connectors'; failed deliveries go to ``errors``."""
    cfg: dict[str, Any] = {**_CONNECTOR_BATCHING, "compression.type": compression, **(extra or {})}
    if errors is not None:
        cfg["on_delivery"] = lambda err, _msg: errors.append(err) if err is not None else None
    return clients(bootstrap).producer(cfg)


def make_transactional_producer(bootstrap: str, transactional_id: str, extra: dict[str, Any]) -> Producer:
    """A transactional producer (``init_transactions`` done) batching like the connectors'."""
    cfg = {**_CONNECTOR_BATCHING, **extra}
    return clients(bootstrap).transactional_producer(transactional_id, 10_000, 60, cfg)


def produce(
    producer: Producer,
    topic: str,
    value: bytes | None,
    key: bytes,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    """``producer.produce``, polling until the local queue has room."""
    while True:
        try:
            producer.produce(topic, value, key, headers=headers)
            return
        except BufferError:
            producer.poll(0.05)


def flush(producer: Producer, errors: list[Any], what: str) -> None:
    """Flushes ``producer``; raises if that timed out or any delivery of ``what`` failed."""
    if producer.flush(120) or errors:
        raise RuntimeError(f"producing {what} failed: {errors[:3] or 'flush timed out'}")


def make_consumer(bootstrap: str, group: str) -> Consumer:
    """A group member that reads the way the hot-path worker reads, so the baselines read as it does."""
    return clients(bootstrap).consumer(
        group,
        {
            "partition.assignment.strategy": "cooperative-sticky",
            "fetch.min.bytes": FETCH_MIN_BYTES,
            "fetch.wait.max.ms": FETCH_WAIT_MAX_MS,
            "queued.max.messages.kbytes": 256 * 1024,
        },
    )
