"""Deliveries on ``rax.out.<region>``: one match, alert or breach for one recipient, with its redactions."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Final

from pydantic import Field, model_validator

from schemas.acks import DeadlineBreach
from schemas.alerts import Alert
from schemas.base import (
    SINGLE_LINE,
    DigestId,
    EventId,
    ShortText,
    Text,
    UtcDatetime,
    WireModel,
    WirePart,
    digest_id,
)
from schemas.cap import MsgType
from schemas.fields import PlateTypeCode, RegionCode
from schemas.matching import Match, MatchKind
from schemas.operation import Operation, OperationClosure
from schemas.plates import PlateRule
from schemas.requests import CooperationRequest, RequestAnswer
from schemas.sealed import SealedEnvelope
from schemas.sharing import ObjectName, Purpose, RedactField
from schemas.vocab import Action, Category, ColourField, Priority
from schemas.watchlist import Approval

__all__ = [
    "PAYLOAD_FIELDS",
    "Delivery",
    "DeliveryKind",
    "MatchNotice",
    "alert_subject",
    "delivery_id",
    "kind_for_alert",
    "payload_field",
]


def delivery_id(source_event_id: str, subject_id: str, recipient: str) -> str:
    """The deterministic id of one delivery: what was seen, about what, for whom.

    First 32 hex characters of SHA-256 over ``source_event_id``, ``subject_id`` and ``recipient``
    joined by 0x1F (``schemas.base.digest_id``). The parts, by kind:

    * match: the hit's ``event_id``, the watchlist ``entry_id``, the recipient region;
    * alert (any msgType): the alert's ``identifier``, its ``sender_region`` and ``sender``
      (``alert_subject``: two regions' messages of one sender and identifier are two messages), the
      recipient region;
    * deadline breach: the ``breach_id``, the breached ``delivery_id``, the recipient region.
    * operation: the ``operation_id``, its ``trigger``, the recipient region.
    * operation closed: the ``operation_id``, ``"closed"``, the recipient region.
    * cooperation request: the ``request_id``, the requester, the recipient region.
    * answer to a request: the ``answer_id``, the ``request_id``, the recipient region.

    The same event processed twice gives the same id, so a recipient drops the second copy; the same
    event for two recipients gives two ids.
    """
    return digest_id(source_event_id, subject_id, recipient)


def alert_subject(sender_region: str, sender: str) -> str:
    """The subject part of an alert's delivery id: the region that issued it and its CAP sender. A
    region names its own ``sender`` freely, so without the region another region could reuse a sender
    and identifier and take over the ids of the first region's deliveries."""
    return f"{sender_region}/{sender}"


class DeliveryKind(StrEnum):
    """What a delivery carries."""

    MATCH = "match"
    ALERT = "alert"
    ALERT_UPDATE = "alert_update"
    ALERT_CANCEL = "alert_cancel"
    DEADLINE_BREACH = "deadline_breach"
    OPERATION = "operation"  # a special operation opened by an escalation (schemas.operation)
    OPERATION_CLOSED = "operation_closed"  # its owner closed it with an outcome (OperationClosure)
    REQUEST = "request"  # a cooperation request (协查) to a partner, or the requester's own copy
    REQUEST_ANSWER = "request_answer"  # a recipient's answer, to the requester and the answerer's copy


_ALERT_KINDS = {MsgType.UPDATE: DeliveryKind.ALERT_UPDATE, MsgType.CANCEL: DeliveryKind.ALERT_CANCEL}


def kind_for_alert(alert: Alert) -> DeliveryKind:
    """The delivery kind of an alert: alert_update / alert_cancel by msgType, otherwise alert."""
    return _ALERT_KINDS.get(alert.msg_type, DeliveryKind.ALERT)


class MatchNotice(WirePart):
    """A match as one recipient may see it: the hit flattened in, the agreement's redactions applied.

    Every field an agreement can redact (``RedactField``) is optional here; a redacted field is absent
    (null) and named in ``redacted``, so a recipient can tell "removed under the agreement" from "not
    reported by the checkpoint". Build it with ``MatchNotice.from_match``.
    """

    match_id: DigestId = Field(description="The match.")
    hit_event_id: EventId = Field(description="The checkpoint hit's event id.")
    entry_id: EventId = Field(description="The watchlist entry that matched.")
    owner: RegionCode = Field(description="The region that owns the entry.")
    category: Category = Field(description="The entry's category.")
    action: Action = Field(description="What the owner asks to be done.")
    priority: Priority = Field(description="The entry's priority.")
    kind: MatchKind = Field(description="How it matched; verify anything but exact before acting.")
    score: float = Field(ge=0, le=1, description="Match quality, 1 = exact.")
    edits: int = Field(ge=0, description="Characters that differ from the entry's plate.")
    matched_plate: ShortText = Field(description="The entry's plate or partial pattern.")
    plate: ShortText = Field(description="The normalised plate read at the checkpoint.")
    conforms: bool = Field(
        default=True, description="False when the plate read breaks an issuing rule: likely a misread."
    )
    breaks: PlateRule | None = Field(
        default=None, description="The issuing rule the plate read breaks; absent when it conforms."
    )
    plate_colour: ColourField | None = Field(default=None, description="The colour read, if reported.")
    plate_type: PlateTypeCode | None = Field(default=None, description="The plate type read, if reported.")
    hit_region: RegionCode = Field(description="Region where the hit happened.")
    pass_time: UtcDatetime = Field(description="When the vehicle passed, UTC.")
    matched_at: UtcDatetime = Field(description="When it was matched, UTC.")
    checkpoint_id: ShortText | None = Field(default=None, description="Checkpoint id (redactable).")
    lane: int | None = Field(default=None, ge=0, le=99, description="Lane (redactable).")
    direction: ShortText | None = Field(default=None, description="Direction code (redactable).")
    speed_kmh: float | None = Field(default=None, ge=0, le=400, description="Speed in km/h (redactable).")
    confidence: float | None = Field(default=None, ge=0, le=1, description="Reader confidence (redactable).")
    image_ref: str | None = Field(
        default=None,
        max_length=512,
        pattern=SINGLE_LINE,
        description="Evidence image reference (redactable).",
    )
    source: ShortText | None = Field(default=None, description="Producing connector or device (redactable).")
    plate_read: ShortText | None = Field(default=None, description="Plate as read (redactable).")
    operator: ShortText | None = Field(default=None, description="Officer who placed the entry (redactable).")
    legal_basis: Text | None = Field(
        default=None, max_length=1000, description="Entry's legal basis (redactable)."
    )
    approval: Approval | None = Field(default=None, description="Entry's approval (redactable).")
    description: Text | None = Field(
        default=None, max_length=1000, description="Vehicle description (redactable)."
    )
    redacted: tuple[RedactField, ...] = Field(default=(), description="Fields removed under the agreement.")

    @classmethod
    def from_match(cls, match: Match, redact: Iterable[RedactField | str] = ()) -> MatchNotice:
        """The notice of ``match`` with the fields in ``redact`` removed."""
        hit = match.hit
        values: dict[str, Any] = {
            "match_id": match.match_id,
            "hit_event_id": hit.event_id,
            "entry_id": match.entry_id,
            "owner": match.owner,
            "category": match.category,
            "action": match.action,
            "priority": match.priority,
            "kind": match.kind,
            "score": match.score,
            "edits": match.edits,
            "matched_plate": match.matched_plate,
            "plate": hit.plate,
            "conforms": hit.conforms,
            "breaks": hit.breaks,
            "plate_colour": hit.plate_colour,
            "plate_type": hit.plate_type,
            "hit_region": hit.region,
            "pass_time": hit.pass_time,
            "matched_at": match.matched_at,
            "checkpoint_id": hit.checkpoint_id,
            "lane": hit.lane,
            "direction": hit.direction,
            "speed_kmh": hit.speed_kmh,
            "confidence": hit.confidence,
            "image_ref": hit.image_ref,
            "source": hit.source,
            "plate_read": hit.plate_read,
            "operator": match.operator,
            "legal_basis": match.legal_basis,
            "approval": match.approval,
            "description": match.description,
        }
        removed = tuple(sorted({RedactField(name) for name in redact}))
        for name in removed:
            values[name.value] = None
        return cls(**values, redacted=removed)

    @model_validator(mode="after")
    def _redacted_are_absent(self) -> MatchNotice:
        present = [name.value for name in self.redacted if getattr(self, name.value) is not None]
        if present:
            raise ValueError(f"redacted: fields listed as redacted still carry values: {present}")
        return self


class Delivery(WireModel):
    """One thing delivered to one recipient region on ``rax.out.<recipient>`` (keyed by delivery id).

    Exactly one of ``match``, ``alert``, ``breach``, ``operation``, ``closure``, ``request``, ``answer``
    is present, as ``kind`` says — or, for a sealed delivery, none of them and ``sealed``: that payload
    encrypted to the recipient's key (``schemas.sealed_delivery`` seals and opens it). A delivery to
    anyone but the owner names the agreement and purpose it was disclosed under.
    """

    delivery_id: DigestId = Field(description="delivery_id(source_event_id, subject_id, recipient).")
    recipient: RegionCode = Field(description="The region it is delivered to.")
    kind: DeliveryKind = Field(
        description="match, alert, alert_update, alert_cancel, deadline_breach, operation, "
        "operation_closed, request or request_answer."
    )
    owner: RegionCode = Field(
        description="Whose data it is: the entry's owner, the alert's sender region, for a breach the "
        "owner of the delivery that was not answered, for a request its requester, for an answer the "
        "answering region."
    )
    match: MatchNotice | None = Field(default=None, description="The match, redacted; when kind is match.")
    alert: Alert | None = Field(
        default=None, description="The alert; when kind is alert, alert_update, alert_cancel."
    )
    breach: DeadlineBreach | None = Field(
        default=None, description="The breach; when kind is deadline_breach."
    )
    operation: Operation | None = Field(
        default=None, description="The special operation, redacted; when kind is operation."
    )
    closure: OperationClosure | None = Field(
        default=None, description="The end of a special operation; when kind is operation_closed."
    )
    request: CooperationRequest | None = Field(
        default=None, description="The cooperation request; when kind is request."
    )
    answer: RequestAnswer | None = Field(
        default=None, description="The answer to a request; when kind is request_answer."
    )
    sealed: SealedEnvelope | None = Field(
        default=None,
        description="A sealed delivery: its payload (the field `kind` names, as JSON) sealed to the "
        "recipient's key; the payload field itself is then absent (docs/threat-model.md).",
    )
    entry_details: SealedEnvelope | None = Field(
        default=None,
        description="A match of a blind entry: the entry's details (plate, description) the owner sealed "
        "to this recipient under their agreement, forwarded unopened by the matcher.",
    )
    agreement_id: ObjectName | None = Field(
        default=None,
        description="The agreement it was disclosed under; absent only when recipient is the owner "
        "or for a deadline breach.",
    )
    read_agreement_id: ObjectName | None = Field(
        default=None,
        description="Matches: the agreement under which the region that made the read lets the recipient "
        "know of it; absent when the recipient made the read (two-sided consent, docs/hotpath.md).",
    )
    purpose: Purpose | None = Field(
        default=None, description="Purpose of the disclosure, one of the agreement's."
    )
    produced_at: UtcDatetime = Field(description="When the processor produced it, UTC.")
    source_time: UtcDatetime = Field(
        description="Time of the source event (hit pass_time, alert sent, breach detected_at), UTC; "
        "produced_at - source_time is the exchange's latency."
    )

    def expected_id(self) -> str:
        """The delivery id its payload and recipient determine (see ``delivery_id``)."""
        if self.match is not None:
            return delivery_id(self.match.hit_event_id, self.match.entry_id, self.recipient)
        if self.alert is not None:
            subject = alert_subject(self.alert.sender_region, self.alert.sender)
            return delivery_id(self.alert.identifier, subject, self.recipient)
        if self.breach is not None:
            return delivery_id(self.breach.breach_id, self.breach.delivery_id, self.recipient)
        if self.operation is not None:
            return delivery_id(self.operation.operation_id, self.operation.trigger.value, self.recipient)
        if self.closure is not None:
            return delivery_id(self.closure.operation_id, "closed", self.recipient)
        if self.request is not None:
            return delivery_id(self.request.request_id, self.request.requester, self.recipient)
        if self.answer is not None:
            return delivery_id(self.answer.answer_id, self.answer.request_id, self.recipient)
        return ""

    @model_validator(mode="after")
    def _consistent(self) -> Delivery:
        present = {name for name in PAYLOAD_FIELDS if getattr(self, name) is not None}
        expected = payload_field(self.kind)
        if self.sealed is not None:
            return self._consistent_sealed(present)
        if present != {expected}:
            got = ", ".join(sorted(present)) or "none"
            raise ValueError(f"kind: {self.kind} carries exactly `{expected}`, got {got}")
        if self.alert is not None and kind_for_alert(self.alert) != self.kind:
            expected_kind = kind_for_alert(self.alert)
            raise ValueError(f"kind: an alert with msgType {self.alert.msg_type} is {expected_kind}")
        if self.delivery_id != self.expected_id():
            raise ValueError(f"delivery_id: must be {self.expected_id()} (see schemas.delivery.delivery_id)")
        disclosure = self.kind != DeliveryKind.DEADLINE_BREACH and self.recipient != self.owner
        basis = self.agreement_id or self.read_agreement_id
        if disclosure and (basis is None or self.purpose is None):
            raise ValueError("agreement_id: a disclosure to another region names its agreement and purpose")
        return self

    def _consistent_sealed(self, present: set[str]) -> Delivery:
        """A sealed delivery carries no payload in clear and is sealed to its own recipient; its id is
        checked against the payload once opened (``schemas.sealed_delivery.open_delivery``)."""
        if present:
            raise ValueError(f"sealed: a sealed delivery carries no payload in clear, got {sorted(present)}")
        assert self.sealed is not None
        if self.sealed.recipient != self.recipient:
            raise ValueError(f"sealed: sealed to {self.sealed.recipient}, delivered to {self.recipient}")
        if self.recipient != self.owner and (self.agreement_id or self.read_agreement_id) is None:
            raise ValueError("agreement_id: a disclosure to another region names its agreement and purpose")
        return self


#: the payload fields of a delivery, one of which ``kind`` names
PAYLOAD_FIELDS: Final = ("match", "alert", "breach", "operation", "closure", "request", "answer")

_PAYLOAD_OF_KIND: Final = {
    DeliveryKind.MATCH: "match",
    DeliveryKind.DEADLINE_BREACH: "breach",
    DeliveryKind.OPERATION: "operation",
    DeliveryKind.OPERATION_CLOSED: "closure",
    DeliveryKind.REQUEST: "request",
    DeliveryKind.REQUEST_ANSWER: "answer",
}


def payload_field(kind: DeliveryKind) -> str:
    """The field of a delivery of ``kind`` that carries its payload (the alert kinds carry ``alert``)."""
    return _PAYLOAD_OF_KIND.get(kind, "alert")
