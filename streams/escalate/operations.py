"""A firing becomes an operation: its regions, owner and priority, and one delivery per region under consent.

Pure logic over the zone: no Kafka. The consent rule is ``schemas.disclosure``'s, asked once per evidence
read and recipient: for an operation on a watchlist entry, ``may_disclose_match`` (the entry's owner and
the read's region must both consent); for a cloned plate, which is nobody's entry, ``may_disclose`` of
each read's region for the category ``cloned_plate``. A recipient gets the operation only if every read
of its evidence may be disclosed to it (the agreements' redactions applied); otherwise it gets nothing,
and the refusal, like every disclosure, is audited. Each delivery is announced to the control app by a
``DeliveryNotice`` on its inbox, as the hot path announces a match's: the control app then holds the
recipient to an acknowledgement deadline (by the operation's priority). Where an agreement the answers
rest on says ``seal``, the deliveries are sealed by ``schemas.seal_policy``'s rule (to the recipients'
keys, failing closed ``no_seal_key``); the audit records of a sealed operation hold no plate and not its
detail.
"""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.audit import AuditReason, AuditRecord, audit_id
from schemas.codec import encode
from schemas.delivery import Delivery, DeliveryKind, delivery_id
from schemas.delivery_notice import DeliveryNotice
from schemas.disclosure import Disclosure, may_disclose, may_disclose_match
from schemas.escalation import EscalationRules
from schemas.inbox import InboxKind, inbox_headers
from schemas.keys import RegionKey
from schemas.operation import EscalationTrigger, EvidenceRead, Operation, operation_id
from schemas.seal_policy import hides_plates, seal_decisions
from schemas.sealed_delivery import seal_delivery
from schemas.sharing import RedactField
from schemas.topics import Catalogue
from schemas.vocab import Category, PlateColour, Priority
from schemas.zone import Zone
from streams.escalate.rules import Firing
from streams.runtime import Outgoing

__all__ = ["audit_record", "build_operation", "consent", "deliver", "notice", "sealed_body"]


_RANK = {p.value: i for i, p in enumerate(Priority)}


def _time(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def build_operation(
    firing: Firing, zone: Zone, rules: EscalationRules, now: datetime, blind: bool = False
) -> Operation:
    """The operation ``firing`` opens: regions are the reads' regions and the owner (for a border
    checkpoint also the read region's neighbours in the zone). It is blind (sealed to everyone) when a
    blind entry's match is among its evidence, or when ``blind`` says the plate is a blind entry's."""
    first, last = firing.evidence[0], firing.evidence[-1]
    lead = last
    if firing.trigger == EscalationTrigger.CLONED_PLATE:
        assert rules.cloned_plate is not None
        owner, category, priority = last.region, Category.CLONED_PLATE, rules.cloned_plate.priority
    else:
        if firing.trigger == EscalationTrigger.CONVOY:  # led by the most urgent entry's owner
            lead = min(firing.evidence, key=lambda s: (_RANK[s.priority], s.plate, s.t))
        owner, category, priority = lead.owner, Category(lead.category), Priority(lead.priority)
    convoy = firing.trigger == EscalationTrigger.CONVOY
    regions = {owner, *(s.region for s in firing.evidence), *(s.owner for s in firing.evidence if convoy)}
    if firing.trigger == EscalationTrigger.BORDER:
        regions |= zone.neighbours(last.region)
    colour = PlateColour(lead.colour) if lead.colour else None
    return Operation(
        operation_id=operation_id(
            firing.trigger, lead.plate, lead.colour, first.event_id, last.event_id, _entries(firing)
        ),
        trigger=firing.trigger,
        plate=lead.plate,
        plate_colour=colour,
        category=category,
        entry_id=lead.entry_id or None,
        evidence=tuple(
            EvidenceRead(
                event_id=s.event_id,
                plate=s.plate,
                plate_colour=PlateColour(s.colour) if s.colour else None,
                region=s.region,
                checkpoint_id=s.checkpoint,
                pass_time=_time(s.t),
                entry_id=s.entry_id or None,
                entry_owner=s.owner if convoy else None,
                entry_category=Category(s.category) if convoy else None,
            )
            for s in firing.evidence
        ),
        regions=tuple(sorted(regions)),
        owner=owner,
        priority=priority,
        opened_at=now,
        detail=firing.detail,
        blind=blind or any(s.blind for s in firing.evidence),
    )


def _entries(firing: Firing) -> tuple[str, ...]:
    """The entries ``firing``'s evidence matched, sorted: part of its operation's id."""
    return tuple(sorted({s.entry_id for s in firing.evidence if s.entry_id}))


def consent(zone: Zone, op: Operation, recipient: str, at: datetime) -> tuple[Disclosure, list[str]]:
    """May ``recipient`` be given ``op``: every evidence read asked, the first refusal wins. Also every
    agreement the answers rest on (the audit record has room for two; its detail lists them all)."""
    answers = [
        may_disclose_match(
            zone,
            read.entry_owner or op.owner,
            read.region,
            recipient,
            read.entry_category or op.category,
            at,
        )
        if op.entry_id
        else may_disclose(zone, read.region, recipient, op.category, at)
        for read in op.evidence
    ]
    bases = sorted({b for a in answers for b in (a.agreement_id, a.read_agreement_id) if b})
    refused = next((a for a in answers if not a.disclosed), None)
    if refused is not None:
        return refused, []
    if all(a.reason == AuditReason.OWNER for a in answers):
        return answers[0], []
    return Disclosure(
        recipient,
        AuditReason.AGREEMENT,
        next((a.agreement_id for a in answers if a.agreement_id), None),
        next((a.purpose for a in answers if a.purpose), None),
        tuple(dict.fromkeys(f for a in answers for f in a.redact)),
        read_agreement_id=next((a.read_agreement_id for a in answers if a.read_agreement_id), None),
        seal=any(a.seal for a in answers),
    ), bases


def _redacted(op: Operation, redact: tuple[RedactField, ...]) -> Operation:
    if RedactField.CHECKPOINT_ID not in redact:
        return op
    evidence = tuple(r.model_copy(update={"checkpoint_id": None}) for r in op.evidence)
    return op.model_copy(update={"evidence": evidence})


def deliver(
    cat: Catalogue, zone: Zone, op: Operation, now: datetime
) -> tuple[list[Outgoing], dict[str, int]]:
    """Deliveries to the regions of ``op`` that may have it, and an audit record per region either way;
    also the count of refusals by reason."""
    out: list[Outgoing] = []
    refusals: dict[str, int] = {}
    last = op.evidence[-1]
    decided = {r: consent(zone, op, r, now) for r in op.regions}
    for d, key in seal_decisions(zone, (d for d, _ in decided.values()), now, seal_all=op.blind):
        recipient, bases = d.recipient, decided[d.recipient][1]
        did = delivery_id(op.operation_id, op.trigger.value, recipient)
        if d.disclosed:
            delivery = Delivery(
                delivery_id=did,
                recipient=recipient,
                kind=DeliveryKind.OPERATION,
                owner=op.owner,
                operation=_redacted(op, d.redact),
                agreement_id=d.agreement_id,
                read_agreement_id=d.read_agreement_id,
                purpose=d.purpose,
                produced_at=now,
                source_time=last.pass_time,
            )
            out.append(Outgoing(cat.out(recipient), did.encode(), sealed_body(delivery, key)))
            out.append(notice(cat, delivery))
        else:
            refusals[d.reason.value] = refusals.get(d.reason.value, 0) + 1
        hidden = op.blind or hides_plates(d, key)  # a blind entry's plate: in no audit record, refusals too
        detail = _detail(op, bases, hidden)
        audit = audit_record(op, DeliveryKind.OPERATION, did, recipient, d, now, detail, key, hidden=hidden)
        out.append(Outgoing(cat.audit, did.encode(), encode(audit)))
    return out, refusals


def sealed_body(delivery: Delivery, key: RegionKey | None) -> bytes:
    """The bytes of ``delivery`` as sent: sealed to ``key`` when there is one."""
    return encode(delivery if key is None else seal_delivery(delivery, key))


def audit_record(
    op: Operation,
    kind: DeliveryKind,
    did: str,
    recipient: str,
    d: Disclosure,
    now: datetime,
    detail: str,
    key: RegionKey | None = None,
    *,
    hidden: bool = False,
) -> AuditRecord:
    """The audit record of one decision about ``op`` (its opening or its closing) for ``recipient``;
    sealed to ``key``, or ``hidden``: without the plates."""
    plates = (
        () if hidden or key is not None else tuple(dict.fromkeys((op.plate, *(r.plate for r in op.evidence))))
    )
    return AuditRecord(
        audit_id=audit_id(did),
        delivery_id=did,
        kind=kind,
        recipient=recipient,
        owner=op.owner,
        subject_id=op.operation_id,
        plates=plates,
        hit_region=op.evidence[-1].region,
        decision=d.decision,
        reason=d.reason,
        agreement_id=d.agreement_id,
        read_agreement_id=d.read_agreement_id,
        refused_by=d.refused_by,
        purpose=d.purpose,
        redacted=d.redact,
        at=now,
        source_time=op.evidence[-1].pass_time,
        detail=detail[:1000],
        sealed_to=key.key_id if key is not None else None,
    )


def notice(cat: Catalogue, delivery: Delivery) -> Outgoing:
    """The control app's notice of ``delivery`` (acknowledgements, deadlines), keyed by its id."""
    headers = inbox_headers(InboxKind.NOTICE, delivery.recipient)
    body = encode(DeliveryNotice.of(delivery))
    return Outgoing(cat.control_inbox, delivery.delivery_id.encode(), body, list(headers))


def _detail(op: Operation, bases: list[str], sealed: bool = False) -> str:
    said = "(sealed)" if sealed else (op.detail or "")  # a sealed operation's detail stays in the seal
    text = f"{op.trigger.value} operation {op.operation_id}: {said}"
    return (text + (f"; agreements: {', '.join(bases)}" if bases else ""))[:1000]
