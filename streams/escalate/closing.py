"""An operation after it is opened: kept by id, closed by its owner with an outcome, or expired (pure).

The escalate processor keeps every operation it opens as a ``Kept`` row of its ``operations`` store,
keyed by operation id, in the inbox partition of that id (the opening forwards the row there, and
stage 1 forwards the owner's close commands there too, so the two meet in one partition, in order).
An operation is open until its owner closes it or ``expiry_s`` after it was opened; then its row is
forgotten. Closing records the outcome, tells every region that was given the operation (if the
consent rule still allows: it is asked again, and audited either way) and counts the outcome for the
operation's rule (以专促常): the counts are what a zone tunes its rules by.

Only the owner may close (a command from another region is dead-lettered ``not_authorised``); a second
close changes nothing; a close of an operation this exchange does not know (never opened, or expired
and forgotten) is dead-lettered ``unknown_reference``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson

from schemas.codec import encode
from schemas.delivery import Delivery, DeliveryKind, delivery_id
from schemas.dlq import DlqReason
from schemas.operation import (
    EscalationTrigger,
    Operation,
    OperationClose,
    OperationClosure,
    OperationOutcome,
    TemporaryAgreement,
)
from schemas.seal_policy import hides_plates, seal_decisions
from schemas.topics import Catalogue
from schemas.zone import Zone
from streams.escalate.operations import audit_record, consent, sealed_body
from streams.runtime import Outgoing

__all__ = [
    "EXPIRED",
    "KIND_HEADER",
    "OUTCOMES",
    "CloseRefused",
    "Kept",
    "close",
    "closing_deliveries",
    "count_key",
    "expired",
    "hit_rates",
    "kept_record",
    "owned",
]

#: The header that tells the inbox's records apart: none for a read, ``opened``, ``close``.
KIND_HEADER = "rax.esc.kind"
#: The outcome counted for an operation nobody closed before it expired.
EXPIRED = "expired"
#: Every outcome label: the owner's outcomes and ``expired``.
OUTCOMES = (*(o.value for o in OperationOutcome), EXPIRED)


class CloseRefused(Exception):
    """A close command that must be dead-lettered: ``reason`` and the message for a person."""

    def __init__(self, reason: DlqReason, error: str) -> None:
        super().__init__(error)
        self.reason = reason


@dataclass(frozen=True)
class Kept:
    """An operation as the processor keeps it: who was given it, when it opened, how it ended (if it did)."""

    operation: Operation
    recipients: tuple[str, ...]  # the regions it was delivered to (a refused region is not told of its end)
    opened: float  # epoch seconds, the processor's clock
    closure: OperationClosure | None = None
    agreement: TemporaryAgreement | None = None  # the owner's temporary agreement, the newest accepted

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation.model_dump(mode="json"),
            "recipients": list(self.recipients),
            "opened": self.opened,
            "closure": self.closure.model_dump(mode="json") if self.closure is not None else None,
            "agreement": self.agreement.model_dump(mode="json") if self.agreement is not None else None,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Kept:
        closure, agreement = value.get("closure"), value.get("agreement")
        return cls(
            Operation.model_validate(value["operation"]),
            tuple(value["recipients"]),
            float(value["opened"]),
            OperationClosure.model_validate(closure) if closure is not None else None,
            TemporaryAgreement.model_validate(agreement) if agreement is not None else None,
        )


def kept_record(cat: Catalogue, op: Operation, out: Iterable[Outgoing], now: float) -> Outgoing:
    """The inbox record that keeps ``op`` in the partition of its id; ``out``: the opening's outputs."""
    recipients = tuple(r for r in op.regions if any(o.topic == cat.out(r) for o in out))
    kept = Kept(op, recipients, now)
    value = orjson.dumps(kept.to_json())
    return Outgoing(cat.escalate_inbox, op.operation_id.encode(), value, [(KIND_HEADER, b"opened")])


def owned(kept: Kept | None, operation_id: str, region: str, verb: str) -> Kept:
    """``kept`` if ``region`` owns it; raises ``CloseRefused`` for an unknown operation or another region."""
    if kept is None:
        raise CloseRefused(
            DlqReason.UNKNOWN_REFERENCE,
            f"operation {operation_id} is unknown: never opened, or expired and forgotten",
        )
    op = kept.operation
    if region != op.owner:
        raise CloseRefused(
            DlqReason.NOT_AUTHORISED,
            f"operation {op.operation_id} is owned by {op.owner}: {region} may not {verb} it",
        )
    return kept


def close(kept: Kept | None, cmd: OperationClose, now: datetime) -> Kept | None:
    """``kept`` closed by ``cmd``, or None when it changes nothing (closed already).

    Raises ``CloseRefused`` for an unknown operation or a region that does not own it.
    """
    kept = owned(kept, cmd.operation_id, cmd.region, "close")
    op = kept.operation
    if kept.closure is not None:
        return None
    closure = OperationClosure(
        operation_id=op.operation_id,
        trigger=op.trigger,
        plate=op.plate,
        owner=op.owner,
        outcome=cmd.outcome,
        note=cmd.note,
        opened_at=op.opened_at,
        closed_at=now,
    )
    return replace(kept, closure=closure)


def closing_deliveries(
    cat: Catalogue, zone: Zone, kept: Kept, now: datetime
) -> tuple[list[Outgoing], dict[str, int]]:
    """The closing notice to every region given the operation that may still be told (consent asked
    again; sealed as ``schemas.seal_policy`` says), an audit record for each decision, and the refusals
    by reason. The closing note is sealed with the rest; the audit record names the outcome only."""
    closure, op = kept.closure, kept.operation
    assert closure is not None
    out: list[Outgoing] = []
    refusals: dict[str, int] = {}
    decided = {r: consent(zone, op, r, now) for r in kept.recipients}
    for d, key in seal_decisions(zone, (d for d, _ in decided.values()), now, seal_all=op.blind):
        recipient, bases = d.recipient, decided[d.recipient][1]
        did = delivery_id(op.operation_id, "closed", recipient)
        if d.disclosed:
            delivery = Delivery(
                delivery_id=did,
                recipient=recipient,
                kind=DeliveryKind.OPERATION_CLOSED,
                owner=op.owner,
                closure=closure,
                agreement_id=d.agreement_id,
                read_agreement_id=d.read_agreement_id,
                purpose=d.purpose,
                produced_at=now,
                source_time=closure.closed_at,
            )
            out.append(Outgoing(cat.out(recipient), did.encode(), sealed_body(delivery, key)))
        else:
            refusals[d.reason.value] = refusals.get(d.reason.value, 0) + 1
        detail = f"operation {op.operation_id} closed by {op.owner}: {closure.outcome.value}"
        detail += f"; agreements: {', '.join(bases)}" if bases else ""
        kind, hidden = DeliveryKind.OPERATION_CLOSED, op.blind or hides_plates(d, key)
        audit = audit_record(op, kind, did, recipient, d, now, detail, key, hidden=hidden)
        out.append(Outgoing(cat.audit, did.encode(), encode(audit)))
    return out, refusals


def expired(opened: float, now: float, expiry_s: float) -> bool:
    """Whether an operation opened at ``opened`` is past its life (open or closed): its row is forgotten."""
    return now - opened >= expiry_s


def count_key(trigger: str, outcome: str) -> str:
    """The key of one rule's count of one outcome in the ``outcomes`` store."""
    return f"{trigger}/{outcome}"


def hit_rates(parts: Iterable[Mapping[str, int]]) -> dict[str, dict[str, Any]]:
    """Per rule: operations ended by outcome (summed over ``parts``), and the share confirmed of those
    the owner closed (expired ones left out: nobody judged them)."""
    totals: dict[str, dict[str, int]] = {t.value: dict.fromkeys(OUTCOMES, 0) for t in EscalationTrigger}
    for part in parts:
        for key, n in part.items():
            trigger, _, outcome = key.partition("/")
            if trigger in totals and outcome in totals[trigger]:
                totals[trigger][outcome] += int(n)
    view: dict[str, dict[str, Any]] = {}
    for trigger, counts in totals.items():
        judged = sum(n for o, n in counts.items() if o != EXPIRED)
        confirmed = counts[OperationOutcome.CONFIRMED.value]
        view[trigger] = {
            "outcomes": counts,
            "closed": judged,
            "confirmed_rate": round(confirmed / judged, 4) if judged else None,
        }
    return view
