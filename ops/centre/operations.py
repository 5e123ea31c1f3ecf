"""A region's special operations as they were delivered to it, and the owner's commands: close one, or
give its members a temporary agreement.

What a region knows of an operation is what ``rax.out.<region>`` holds: the operation delivery (its
evidence, with the agreements' redactions) and, once the owner closed it, the closing delivery. So the
list is read from there, to its end, read-committed, as the region itself — no second copy to keep in
step, and nothing shown that the consent rule withheld. The out topic's retention (7 days) bounds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ops.centre.outbox import read_deliveries
from ops.centre.region_macs import mac_headers_for
from schemas.base import WireModel
from schemas.codec import encode
from schemas.delivery import Delivery
from schemas.kafka_settings import KafkaSettings
from schemas.operation import (
    Operation,
    OperationClose,
    OperationClosure,
    OperationOutcome,
    TemporaryAgreement,
    close_id,
    temporary_agreement_id,
)
from schemas.sealed_delivery import PrivateKeyLookup
from schemas.sharing import RedactField
from schemas.topics import Catalogue
from schemas.vocab import Category
from streams.runtime import ClientFactory

__all__ = [
    "AgreementTerms",
    "KnownOperation",
    "agree_operation",
    "close_operation",
    "fold",
    "read_operations",
]


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
    settings: KafkaSettings,
    cat: Catalogue,
    region: str,
    timeout: float = 30.0,
    keys: PrivateKeyLookup | None = None,
    unopened: list[str] | None = None,
) -> dict[str, KnownOperation]:
    """Every operation delivered to ``region`` that its out topic still holds (read to its end), sealed
    ones opened with ``keys``; why any did not open is appended to ``unopened``."""
    return fold(read_deliveries(settings, cat, region, "ops", timeout, keys, unopened))


def close_operation(
    settings: KafkaSettings,
    cat: Catalogue,
    region: str,
    operation_id: str,
    outcome: OperationOutcome,
    note: str | None = None,
    operator: str | None = None,
    mac_key: Path | None = None,
    sign_keys: Path | None = None,
) -> OperationClose:
    """Publishes ``region``'s close command on its operations topic and waits until Kafka has it.

    The escalate processor decides it: only the owner's closes, once; a refused command goes to its
    dead letters (``rax.dlq.escalate``), not back to the region. ``mac_key``: the region's MAC key file,
    ``sign_keys``: its key store; the command then carries ``rax.mac`` and ``rax.sig`` as a connector's
    records do (needed under ``mac: required`` and ``sig: required``).
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
    _publish(settings, cat, region, operation_id, cmd, "close command", mac_key, sign_keys)
    return cmd


def agree_operation(
    settings: KafkaSettings,
    cat: Catalogue,
    region: str,
    operation_id: str,
    terms: AgreementTerms,
    operator: str | None = None,
    mac_key: Path | None = None,
    sign_keys: Path | None = None,
) -> TemporaryAgreement:
    """Publishes ``region``'s temporary agreement for its operation and waits until Kafka has it.

    The escalate processor decides it (owner only, open operation, within what every member's agreement
    with the owner allows); a refused one goes to ``rax.dlq.escalate``. ``mac_key``, ``sign_keys``: as for
    a close.
    """
    at = datetime.now(UTC)
    cmd = TemporaryAgreement(
        agreement_id=temporary_agreement_id(operation_id, region, at.isoformat()),
        operation_id=operation_id,
        region=region,
        categories=terms.categories,
        unredact=terms.unredact,
        purpose=terms.purpose,
        legal_basis=terms.legal_basis,
        expires_at=at + timedelta(hours=terms.hours),
        operator=operator,
        at=at,
    )
    _publish(settings, cat, region, operation_id, cmd, "temporary agreement", mac_key, sign_keys)
    return cmd


def _publish(
    settings: KafkaSettings,
    cat: Catalogue,
    region: str,
    operation_id: str,
    cmd: WireModel,
    what: str,
    mac_key: Path | None,
    sign_keys: Path | None,
) -> None:
    topic, key, value = cat.in_operations(region), operation_id.encode(), encode(cmd)
    headers = mac_headers_for(mac_key, region, topic, key, value, sign_keys)
    producer = ClientFactory(settings, f"ops@{region}").producer()
    errors: list[object] = []
    producer.produce(
        topic,
        value,
        key,
        headers=headers,
        on_delivery=lambda err, _m: errors.append(err) if err else None,
    )
    if producer.flush(30) or errors:
        raise RuntimeError(f"the {what} was not accepted by Kafka: {errors or 'timed out'}")


@dataclass(frozen=True)
class AgreementTerms:
    """What a temporary agreement broadens, why and for how long (``agree_operation``)."""

    categories: tuple[Category, ...]
    unredact: tuple[RedactField, ...]
    purpose: str
    legal_basis: str
    hours: float
