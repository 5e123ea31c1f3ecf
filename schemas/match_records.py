"""A match's delivery to one recipient and the audit record of the decision about it: built alike by the
hot path (under the standing agreements) and the escalate processor (under a temporary agreement)."""

from __future__ import annotations

from datetime import datetime

from schemas.audit import AuditRecord, audit_id
from schemas.delivery import Delivery, DeliveryKind, MatchNotice, delivery_id
from schemas.disclosure import Disclosure
from schemas.matching import Match

__all__ = ["match_audit", "match_delivery", "match_delivery_id"]


def match_delivery_id(match: Match, recipient: str) -> str:
    """The delivery id of ``match`` for ``recipient``: the same whoever decides it (one delivery)."""
    return delivery_id(match.hit.event_id, match.entry_id, recipient)


def match_delivery(match: Match, d: Disclosure, now: datetime) -> Delivery:
    """The delivery of ``match`` disclosed as ``d`` says (its redactions applied)."""
    return Delivery(
        delivery_id=match_delivery_id(match, d.recipient),
        recipient=d.recipient,
        kind=DeliveryKind.MATCH,
        owner=match.owner,
        match=MatchNotice.from_match(match, d.redact),
        agreement_id=d.agreement_id,
        read_agreement_id=d.read_agreement_id,
        purpose=d.purpose,
        produced_at=now,
        source_time=match.hit.pass_time,
    )


def match_audit(
    match: Match,
    d: Disclosure,
    now: datetime,
    detail: str | None = None,
    sealed_to: str | None = None,
    *,
    hidden: bool = False,
) -> AuditRecord:
    """The audit record of the decision ``d`` about ``match`` (a disclosure or a refusal).

    A disclosure sealed to the recipient's key ``sealed_to`` names the entry, fields and agreement but
    not the plate: the audit log must not hold in clear what the delivery hid from the broker. ``hidden``
    leaves the plate out of any other record too (a refusal because the copy had to be sealed).
    """
    hit = match.hit
    did = match_delivery_id(match, d.recipient)
    return AuditRecord(
        audit_id=audit_id(did),
        delivery_id=did,
        kind=DeliveryKind.MATCH,
        recipient=d.recipient,
        owner=match.owner,
        subject_id=match.entry_id,
        plates=() if hidden or sealed_to is not None else (hit.plate,),
        hit_region=hit.region,
        decision=d.decision,
        reason=d.reason,
        agreement_id=d.agreement_id,
        read_agreement_id=d.read_agreement_id,
        refused_by=d.refused_by,
        purpose=d.purpose,
        redacted=d.redact,
        at=now,
        source_time=hit.pass_time,
        detail=detail,
        sealed_to=sealed_to,
    )
