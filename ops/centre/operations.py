"""A region's special operations as they were delivered to it, and the owner's command that closes one.

What a region knows of an operation is what ``rax.out.<region>`` holds: the operation delivery (its
evidence, with the agreements' redactions) and, once the owner closed it, the closing delivery. So the
list is read from there, to its end, read-committed, as the region itself — no second copy to keep in
step, and nothing shown that the consent rule withheld. The out topic's retention (7 days) bounds it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

from schemas.codec import DecodeError, decode, encode
from schemas.delivery import Delivery
from schemas.kafka_settings import KafkaSettings
from schemas.operation import Operation, OperationClose, OperationClosure, OperationOutcome, close_id
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

__all__ = ["KnownOperation", "close_operation", "fold", "read_operations"]


@dataclass(frozen=True)
class KnownOperation:
    """One operation as a region was given it, and its end if the region was told of it."""

    operation: Operation
    closure: OperationClosure | None = None

    @property
    def status(self) -> str:
        return "open" if self.closure is None else f"closed: {self.closure.outcome.value}"

    def summary(self) -> dict[str, Any]:
        """One line of `rax ops list`."""
        op = self.operation
        return {
            "operation": op.operation_id,
            "trigger": op.trigger.value,
            "plate": op.plate,
            "priority": op.priority.value,
            "owner": op.owner,
            "regions": list(op.regions),
            "opened_at": op.opened_at.isoformat(),
            "status": self.status,
        }

    def detail(self) -> dict[str, Any]:
        """Everything `rax ops show` prints: the operation with its evidence, and its end."""
        return {
            "status": self.status,
            "operation": self.operation.model_dump(mode="json", exclude={"schema_version"}),
            "closure": self.closure.model_dump(mode="json") if self.closure is not None else None,
        }


def fold(deliveries: Iterable[Delivery]) -> dict[str, KnownOperation]:
    """The operations among ``deliveries`` (any order: a closing can precede its opening across
    partitions), by id; a closing whose operation is not among them is left out."""
    opened: dict[str, Operation] = {}
    closed: dict[str, OperationClosure] = {}
    for d in deliveries:
        if d.operation is not None:
            opened[d.operation.operation_id] = d.operation
        elif d.closure is not None:
            closed[d.closure.operation_id] = d.closure
    return {oid: KnownOperation(op, closed.get(oid)) for oid, op in opened.items()}


def read_operations(
    settings: KafkaSettings, cat: Catalogue, region: str, timeout: float = 30.0
) -> dict[str, KnownOperation]:
    """Every operation delivered to ``region`` that its out topic still holds (read to its end)."""
    topic = cat.out(region)
    consumer = ClientFactory(settings, f"ops@{region}").reader(
        group_id=f"{cat.region_group_prefix(region)}ops"
    )
    deliveries: list[Delivery] = []
    try:
        meta = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
        if meta is None or meta.error is not None:
            raise RuntimeError(f"topic {topic} does not exist: apply the zone (`rax zone apply`) first")
        pending = set(meta.partitions)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in pending])
        while pending:
            msg = consumer.poll(timeout)
            if msg is None:
                raise TimeoutError(f"{topic} was not read to its end within {timeout} s")
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    pending.discard(msg.partition() or 0)
                    continue
                raise RuntimeError(f"reading {topic}: {err}")
            with contextlib.suppress(DecodeError):  # a record no delivery: not an operation either
                deliveries.append(decode(msg.value(), Delivery))
    finally:
        consumer.close()
    return fold(deliveries)


def close_operation(
    settings: KafkaSettings,
    cat: Catalogue,
    region: str,
    operation_id: str,
    outcome: OperationOutcome,
    note: str | None = None,
    operator: str | None = None,
) -> OperationClose:
    """Publishes ``region``'s close command on its operations topic and waits until Kafka has it.

    The escalate processor decides it: only the owner's closes, once; a refused command goes to its
    dead letters (``rax.dlq.escalate``), not back to the region.
    """
    cmd = OperationClose(
        close_id=close_id(operation_id, region, outcome.value),
        operation_id=operation_id,
        region=region,
        outcome=outcome,
        note=note,
        operator=operator,
        at=datetime.now(UTC),
    )
    producer = ClientFactory(settings, f"ops-close@{region}").producer()
    errors: list[object] = []
    producer.produce(
        cat.in_operations(region),
        encode(cmd),
        operation_id.encode(),
        on_delivery=lambda err, _m: errors.append(err) if err else None,
    )
    if producer.flush(30) or errors:
        raise RuntimeError(f"the close command was not accepted by Kafka: {errors or 'timed out'}")
    return cmd
