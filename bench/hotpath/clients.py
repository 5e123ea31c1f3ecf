"""The connectors' producer and the worker's consumer settings, shared by the generator and the roles."""

from __future__ import annotations

from typing import Any

from confluent_kafka import Producer


def make_producer(
    bootstrap: str, compression: str, errors: list[Any] | None = None, extra: dict[str, Any] | None = None
) -> Producer:
    """An idempotent, acks=all, murmur2 producer like the connectors'; failed deliveries go to ``errors``."""
    extra = dict(extra or {})
    if errors is not None:
        extra["on_delivery"] = lambda err, _msg: errors.append(err) if err is not None else None
    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "partitioner": "murmur2_random",
            "compression.type": compression,
            "linger.ms": 20,
            "batch.size": 1_000_000,
            "queue.buffering.max.messages": 500_000,
            "queue.buffering.max.kbytes": 1_048_576,
            **extra,
        }
    )


def produce(producer: Producer, topic: str, value: bytes | None, key: bytes) -> None:
    """``producer.produce``, polling until the local queue has room."""
    while True:
        try:
            producer.produce(topic, value, key)
            return
        except BufferError:
            producer.poll(0.05)


def flush(producer: Producer, errors: list[Any], what: str) -> None:
    """Flushes ``producer``; raises if that timed out or any delivery of ``what`` failed."""
    if producer.flush(120) or errors:
        raise RuntimeError(f"producing {what} failed: {errors[:3] or 'flush timed out'}")


def consumer_config(bootstrap: str, group: str) -> dict[str, Any]:
    """The hot-path worker's consumer settings, so the baselines read the way it reads."""
    return {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "partition.assignment.strategy": "cooperative-sticky",
        "fetch.min.bytes": 1,
        "queued.max.messages.kbytes": 256 * 1024,
    }
