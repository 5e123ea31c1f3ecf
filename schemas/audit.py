"""The audit record on ``rax.audit``: every decision to disclose (or not) a record to a region, and why."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_validator

from schemas.base import DigestId, ShortText, Text, UtcDatetime, WireModel, digest_id
from schemas.delivery import DeliveryKind
from schemas.fields import RegionCode
from schemas.keys import KeyId
from schemas.sharing import ObjectName, Purpose, RedactField

__all__ = [
    "FORGED_KIND",
    "TRACE_KIND",
    "AuditAct",
    "AuditReason",
    "AuditRecord",
    "ConsentSide",
    "Decision",
    "audit_id",
    "audit_problem",
    "basis_problem",
    "forged_audit",
]


class Decision(StrEnum):
    """Whether the record was disclosed to the recipient."""

    DISCLOSED = "disclosed"
    REFUSED = "refused"


class AuditReason(StrEnum):
    """Why: the basis of a disclosure, or what was missing for a refusal (a bounded metric label)."""

    OWNER = "owner"  # disclosed: the recipient owns the data
    AGREEMENT = "agreement"  # disclosed under `agreement_id` for `purpose`
    NO_AGREEMENT = "no_agreement"  # refused: no agreement from the owner to the recipient
    CATEGORY_NOT_ALLOWED = "category_not_allowed"  # refused: agreements exist, none selects the category
    AGREEMENT_NOT_IN_FORCE = "agreement_not_in_force"  # refused: the agreement is not yet or no longer valid
    OUT_OF_SCOPE = "out_of_scope"  # refused: the entry's scope or the alert's addressing excludes it
    IMPERSONATION = "impersonation"  # refused: a record claimed another region than the topic it came on
    PURPOSE_NOT_ALLOWED = "purpose_not_allowed"  # refused: the agreement does not list the stated purpose
    NO_SEAL_KEY = "no_seal_key"  # refused: the agreement says seal, the recipient has no valid seal key
    TEMPORARY_AGREEMENT = "temporary_agreement"  # disclosed under an operation's temporary agreement
    FORGED = "forged"  # refused at intake: no valid MAC or batch signature of its topic's region

    @property
    def discloses(self) -> bool:
        """True for the reasons of a disclosure (``owner``, ``agreement``), false for those of a refusal."""
        return self in _DISCLOSING


class ConsentSide(StrEnum):
    """Whose consent a match needs, and so which side refused one (two-sided consent)."""

    ENTRY = "entry"  # the owner of the watchlist entry (or the alert's sender): may R know of the entry?
    READ = "read"  # the region whose camera made the read (属地): may R know of the read?


_UNDER_AGREEMENT = frozenset({AuditReason.AGREEMENT, AuditReason.TEMPORARY_AGREEMENT})
_DISCLOSING = frozenset({AuditReason.OWNER, *_UNDER_AGREEMENT})

#: The ``kind`` of the audit record of an audit trace (``rax audit trace``): nothing delivered, a log read.
TRACE_KIND: Literal["audit_trace"] = "audit_trace"
#: The ``kind`` of the audit record of a forged record refused at intake (``forged_audit``): not decoded,
#: so what it would have been is unknown; its topic, partition and offset are its ``subject_id``.
FORGED_KIND: Literal["forged_record"] = "forged_record"


class AuditAct(StrEnum):
    """What a region did about something delivered to it (or to the audit log): an act record.

    An act record names the acting region as ``recipient`` and ``owner`` (reason ``owner``) unless the
    act is itself a disclosure (an answer to a request, delivered to the requester under an agreement);
    ``refers_to`` names the delivery acted on, and the record is keyed by it on ``rax.audit``, so it
    follows that delivery's disclosure in one partition.
    """

    ACKNOWLEDGED = "acknowledged"  # an acknowledgement of a delivery; the outcome is in ``detail``
    ACCEPTED = "accepted"  # a cooperation request accepted
    ANSWERED = "answered"  # a cooperation request answered
    DECLINED = "declined"  # a cooperation request declined; the reason is in ``detail``
    TRACED = "traced"  # an audit trace (责任倒查) was run: who asked, about what (``subject_id``)


def audit_id(delivery_id: str) -> str:
    """The deterministic id of the audit record of one delivery decision: ``digest_id("audit", id)``."""
    return digest_id("audit", delivery_id)


class AuditRecord(WireModel):
    """Who was given (or refused) what, when, on which basis and for which purpose.

    One per delivery decision, written by the processor that made it, in the same transaction as the
    delivery. Refusals are recorded too, so the log answers "who saw this plate's whereabouts, and who
    asked for it without a basis". Retained for 400 days on ``rax.audit``.
    """

    audit_id: DigestId = Field(description="audit_id(delivery_id): deterministic.")
    delivery_id: DigestId = Field(description="The delivery decided on (for a refusal: the would-be id).")
    kind: DeliveryKind | Literal["audit_trace", "forged_record"] = Field(
        description="What would be delivered (an act: what was acted on; audit_trace: a trace query; "
        "forged_record: a record refused at intake as forged)."
    )
    recipient: RegionCode = Field(description="Who: the region that received it or was refused.")
    owner: RegionCode = Field(description="Whose data: the entry's owner or the alert's sender region.")
    subject_id: ShortText = Field(description="What: the watchlist entry id or alert identifier.")
    plates: tuple[ShortText, ...] = Field(
        default=(), description="What: the plates whose whereabouts it concerns."
    )
    hit_region: RegionCode | None = Field(default=None, description="Where the plate was seen (matches).")
    decision: Decision = Field(description="disclosed or refused.")
    reason: AuditReason = Field(description="The basis of a disclosure or the cause of a refusal.")
    agreement_id: ObjectName | None = Field(
        default=None, description="The owner's agreement disclosed under (for a refusal: not in force)."
    )
    read_agreement_id: ObjectName | None = Field(
        default=None,
        description="Matches: the agreement of the region that made the read (hit_region) disclosed under; "
        "absent when the recipient made the read.",
    )
    refused_by: ConsentSide | None = Field(
        default=None,
        description="Refusals of a match: whose consent is missing, the entry's owner or the read's region.",
    )
    purpose: Purpose | None = Field(default=None, description="The purpose disclosed for.")
    redacted: tuple[RedactField, ...] = Field(default=(), description="Fields removed before disclosure.")
    at: UtcDatetime = Field(description="When: the moment of the decision, UTC.")
    source_time: UtcDatetime = Field(description="When the source event happened (pass_time, sent), UTC.")
    detail: Text | None = Field(default=None, max_length=1000, description="Free text for a person.")
    sealed_to: KeyId | None = Field(
        default=None,
        description="A sealed disclosure: the recipient's key the body was sealed to. The record then "
        "names what was disclosed (subject, fields, agreement) but carries no plate.",
    )
    act: AuditAct | None = Field(
        default=None, description="An act record: what the region did; absent for a disclosure decision."
    )
    actor: ShortText | None = Field(default=None, description="Act records: the officer who acted.")
    refers_to: DigestId | None = Field(
        default=None, description="Act and breach records: the delivery acted on or not answered in time."
    )

    @model_validator(mode="after")
    def _consistent(self) -> AuditRecord:
        problem = audit_problem(self.__dict__)
        if problem is not None:
            raise ValueError(problem)
        return self


def audit_problem(fields: Mapping[str, Any]) -> str | None:
    """What breaks the rules between an audit record's fields (given by name), or ``None``.

    The model's own check; a processor that copies a validated record for another recipient applies it
    to the copy's fields instead of validating the copy whole.
    """
    did = fields["delivery_id"]
    if fields["audit_id"] != audit_id(did):
        return f"audit_id: must be audit_id(delivery_id) = {audit_id(did)}"
    return basis_problem(fields)


def basis_problem(fields: Mapping[str, Any]) -> str | None:
    """What breaks the rules between an audit record's decision, reason, basis and owner, or ``None``
    (``audit_problem`` without the id rule, for a caller that derives ``audit_id`` itself)."""
    reason, decision = AuditReason(fields["reason"]), fields["decision"]
    if (decision == Decision.DISCLOSED) != reason.discloses:
        return f"reason: {reason} does not go with decision {decision}"
    basis = fields.get("agreement_id") or fields.get("read_agreement_id")
    if reason in _UNDER_AGREEMENT and (basis is None or fields.get("purpose") is None):
        return "agreement_id: a disclosure under an agreement names the agreement and purpose"
    if reason == AuditReason.OWNER and fields["recipient"] != fields["owner"]:
        return "reason: owner only when the recipient is the owner"
    return None


def forged_audit(
    topic: str, partition: int, offset: int, region: str, error: str, at: datetime, sent: datetime
) -> AuditRecord:
    """The audit record of a record refused as forged on ``region``'s ``topic``: who it claimed to be, where
    it sits and why it was refused; nothing of its content (not decoded: whoever forged it wrote it)."""
    where = f"{topic}[{partition}]@{offset}"
    did = digest_id("forged", where)
    return AuditRecord(
        audit_id=audit_id(did),
        delivery_id=did,
        kind=FORGED_KIND,
        recipient=region,
        owner=region,
        subject_id=where[:128],
        decision=Decision.REFUSED,
        reason=AuditReason.FORGED,
        at=at,
        source_time=sent,
        detail=f"refused as forged, claiming to be {region}'s: {error}"[:1000],
    )
