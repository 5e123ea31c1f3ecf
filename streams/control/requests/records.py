"""The records of a request thread: deliveries on ``rax.out.<region>`` and their ``rax.audit`` records.

A request's deliveries carry no inbox notice: its acknowledgement and answer deadlines are kept with
the thread (store ``requests``, in the partition of the request id), not with the delivery id. Every
disclosure and every refusal has its audit record, keyed by the delivery it concerns; an answer's record
is an act record (``AuditRecord.act``) that refers to the request's delivery to the answering region, so
both sit in one partition of ``rax.audit``, in order.

A delivery sealed to its recipient's key (``schemas.seal_policy``) is audited with that key and without
the plate or the answer's text: the audit log must not hold in clear what the delivery hid from the
broker (a sealed answer's record says its status and how many files it refers to; a request's record
never repeats its details). A refusal for want of a seal key carries no plate either.
"""

from __future__ import annotations

from datetime import datetime

from schemas.audit import AuditAct, AuditReason, AuditRecord, ConsentSide, Decision, audit_id
from schemas.codec import encode
from schemas.delivery import Delivery, DeliveryKind, delivery_id
from schemas.keys import RegionKey
from schemas.requests import CooperationRequest, RequestAnswer
from schemas.sealed_delivery import seal_delivery
from schemas.topics import Catalogue
from streams.control.common import Output, from_epoch
from streams.control.state import RequestState

__all__ = ["answer_records", "answer_refusal", "refusal_record", "request_records"]


def _audit(cat: Catalogue, key: str, record: AuditRecord) -> Output:
    return Output(cat.audit, key.encode(), encode(record))


def _plates(plate: str | None, hidden: bool) -> tuple[str, ...]:
    return (plate,) if plate and not hidden else ()


def _sent(delivery: Delivery, key: RegionKey | None) -> bytes:
    return encode(delivery if key is None else seal_delivery(delivery, key))


def request_records(
    cat: Catalogue,
    req: CooperationRequest,
    recipient: str,
    agreement_id: str | None,
    now: datetime,
    key: RegionKey | None = None,
) -> tuple[str, list[Output]]:
    """The request's delivery to ``recipient`` (the requester: its own copy), sealed to ``key`` when
    given, and its audit record."""
    did = delivery_id(req.request_id, req.requester, recipient)
    own = recipient == req.requester
    purpose = None if own else req.purpose
    delivery = Delivery(
        delivery_id=did,
        recipient=recipient,
        kind=DeliveryKind.REQUEST,
        owner=req.requester,
        request=req,
        agreement_id=agreement_id,
        purpose=purpose,
        produced_at=now,
        source_time=req.sent_at,
    )
    audit = AuditRecord(
        audit_id=audit_id(did),
        delivery_id=did,
        kind=DeliveryKind.REQUEST,
        recipient=recipient,
        owner=req.requester,
        subject_id=req.request_id,
        plates=_plates(req.plate, key is not None),
        decision=Decision.DISCLOSED,
        reason=AuditReason.OWNER if own else AuditReason.AGREEMENT,
        agreement_id=agreement_id,
        purpose=purpose,
        at=now,
        source_time=req.sent_at,
        actor=req.operator,
        detail=f"{req.kind.value}, {req.priority.value}, respond by {req.respond_by.isoformat()}",
        sealed_to=key.key_id if key is not None else None,
    )
    out = Output(cat.out(recipient), did.encode(), _sent(delivery, key))
    return did, [out, _audit(cat, did, audit)]


def refusal_record(
    cat: Catalogue,
    req: CooperationRequest,
    recipient: str,
    refusal: tuple[AuditReason, str | None, ConsentSide],
    problem: str,
    now: datetime,
) -> Output:
    """The audit record of a request refused to ``recipient`` (under the consent rule)."""
    reason, agreement, side = refusal
    did = delivery_id(req.request_id, req.requester, recipient)
    audit = AuditRecord(
        audit_id=audit_id(did),
        delivery_id=did,
        kind=DeliveryKind.REQUEST,
        recipient=recipient,
        owner=req.requester,
        subject_id=req.request_id,
        plates=_plates(req.plate, reason == AuditReason.NO_SEAL_KEY),
        decision=Decision.REFUSED,
        reason=reason,
        agreement_id=agreement,
        refused_by=side,
        purpose=req.purpose,
        at=now,
        source_time=req.sent_at,
        actor=req.operator,
        detail=problem[:1000],
    )
    return _audit(cat, did, audit)


def answer_records(
    cat: Catalogue,
    request_id: str,
    state: RequestState,
    answer: RequestAnswer,
    agreement_id: str | None,
    now: datetime,
    keys: dict[str, RegionKey | None] | None = None,
) -> list[Output]:
    """An answer delivered to the requester (under ``agreement_id``) and as a receipt to the answering
    region, each sealed to its recipient's key in ``keys`` if there is one; the requester's delivery is
    audited as an act record referring to the request's delivery."""
    requester, region = state["requester"], answer.region
    party = state["parties"][region]
    keys = keys or {}
    outputs: list[Output] = []
    for recipient in (requester, region):
        did = delivery_id(answer.answer_id, request_id, recipient)
        own = recipient == region
        key = keys.get(recipient)
        delivery = Delivery(
            delivery_id=did,
            recipient=recipient,
            kind=DeliveryKind.REQUEST_ANSWER,
            owner=region,
            answer=answer,
            agreement_id=None if own else agreement_id,
            purpose=None if own else party["purpose"],
            produced_at=now,
            source_time=answer.at,
        )
        outputs.append(Output(cat.out(recipient), did.encode(), _sent(delivery, key)))
        if own:
            continue  # a receipt of its own answer: nothing of another region is disclosed
        audit = AuditRecord(
            audit_id=audit_id(did),
            delivery_id=did,
            kind=DeliveryKind.REQUEST_ANSWER,
            recipient=requester,
            owner=region,
            subject_id=request_id,
            plates=_plates(state["plate"], key is not None),
            decision=Decision.DISCLOSED,
            reason=AuditReason.AGREEMENT,
            agreement_id=agreement_id,
            purpose=party["purpose"],
            at=now,
            source_time=from_epoch(state["sent_at"]),
            act=AuditAct(answer.status.value),
            actor=answer.operator,
            refers_to=party["delivery"],
            detail=_answer_detail(answer, sealed=key is not None),
            sealed_to=key.key_id if key is not None else None,
        )
        outputs.append(_audit(cat, party["delivery"], audit))
    return outputs


def _answer_detail(answer: RequestAnswer, *, sealed: bool) -> str:
    """What the audit record says of an answer: its text or reason, or only its shape when sealed."""
    if sealed:
        files = len(answer.attachments)
        return f"{answer.status.value} (sealed; {files} file{'' if files == 1 else 's'} referred to)"
    detail = answer.reason if answer.status.value == "declined" else answer.text
    return (detail or answer.status.value)[:1000]


def answer_refusal(
    cat: Catalogue,
    state: RequestState,
    answer: RequestAnswer,
    agreement_id: str | None,
    now: datetime,
    refusal: tuple[AuditReason, ConsentSide | None, str] | None = None,
) -> Output:
    """The audit record of an answer not delivered to the requester: its agreement says seal and the
    requester has no seal key (``no_seal_key``), or ``refusal`` (reason, side, why: the consent rule
    refuses the results now); it names the answer's status, not its text."""
    requester, party = state["requester"], state["parties"][answer.region]
    reason, side, why = refusal or (
        AuditReason.NO_SEAL_KEY,
        None,
        f"the agreement says seal, {requester} has no seal key",
    )
    did = delivery_id(answer.answer_id, answer.request_id, requester)
    audit = AuditRecord(
        audit_id=audit_id(did),
        delivery_id=did,
        kind=DeliveryKind.REQUEST_ANSWER,
        recipient=requester,
        owner=answer.region,
        subject_id=answer.request_id,
        decision=Decision.REFUSED,
        reason=reason,
        agreement_id=agreement_id,
        refused_by=side,
        at=now,
        source_time=from_epoch(state["sent_at"]),
        actor=answer.operator,
        refers_to=party["delivery"],
        detail=f"{answer.status.value}: {why}"[:1000],
    )
    return _audit(cat, party["delivery"], audit)
