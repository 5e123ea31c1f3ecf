"""Acknowledgements of deliveries by command centres, and the deadline breach raised when one is late."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field, ValidationInfo, field_validator, model_validator

from schemas.base import DigestId, EventId, ShortText, Text, UtcDatetime, WireModel, digest_id
from schemas.fields import RegionCode
from schemas.vocab import Priority

__all__ = ["FINAL_OUTCOMES", "Acknowledgement", "BreachStage", "DeadlineBreach", "Outcome", "breach_id"]


class Outcome(StrEnum):
    """What a command centre reports about a delivery; ``received`` first, then one final outcome."""

    RECEIVED = "received"  # seen by a person at the centre
    VERIFIED = "verified"  # the vehicle was seen and is the one sought
    INTERCEPTED = "intercepted"  # stopped, as the entry asked
    FALSE_POSITIVE = "false_positive"  # wrong vehicle (misread, cloned plate, wrong colour)
    NOT_FOUND = "not_found"  # looked for, not found


#: Outcomes that close a delivery; ``received`` only acknowledges it.
FINAL_OUTCOMES = frozenset(Outcome) - {Outcome.RECEIVED}


class Acknowledgement(WireModel):
    """A command centre's answer to one delivery, on ``rax.in.<region>.acks`` (keyed by delivery id)."""

    ack_id: EventId = Field(description="Id of this acknowledgement (UUID), identical on every re-send.")
    delivery_id: DigestId = Field(description="The delivery answered.")
    region: RegionCode = Field(
        description="The answering region: the delivery's recipient and the region of the topic."
    )
    outcome: Outcome = Field(description="received, verified, intercepted, false_positive or not_found.")
    at: UtcDatetime = Field(description="When the centre recorded the outcome, UTC.")
    operator: ShortText = Field(description="Police number or id of the officer who answered.")
    note: Text | None = Field(default=None, max_length=2000, description="Free text for the owner.")
    reason: ShortText | None = Field(
        default=None,
        description="Why a delivery was rejected (false_positive): one of the zone's reject reasons "
        "(Zone.reject_reasons), so owners can count them; absent in records written before 2026-12-05.",
    )


class BreachStage(StrEnum):
    """Which answer was late."""

    ACKNOWLEDGE = "acknowledge"  # no `received` in time
    OUTCOME = "outcome"  # no final outcome in time


def breach_id(delivery_id: str, stage: str) -> str:
    """The deterministic id of a breach: ``digest_id("breach", delivery_id, stage)``; one per stage."""
    return digest_id("breach", delivery_id, stage)


class DeadlineBreach(WireModel):
    """Raised by the control app when a recipient has not answered a delivery by its deadline.

    Delivered to the owner (and escalation contacts) as a ``deadline_breach`` delivery.
    """

    breach_id: DigestId = Field(description="breach_id(delivery_id, stage): deterministic.")
    delivery_id: DigestId = Field(description="The delivery that was not answered in time.")
    region: RegionCode = Field(description="The recipient that did not answer.")
    owner: RegionCode = Field(description="The region whose entry or alert was delivered.")
    subject_id: ShortText = Field(description="The watchlist entry id or alert identifier concerned.")
    priority: Priority = Field(description="Priority of the entry or alert (sets the deadline).")
    stage: BreachStage = Field(description="Which answer was late: acknowledge or outcome.")
    due_at: UtcDatetime = Field(description="When the answer was due, UTC.")
    detected_at: UtcDatetime = Field(description="When the breach was detected, UTC; not before due_at.")

    @field_validator("detected_at")
    @classmethod
    def _not_before_due(cls, detected_at: datetime, info: ValidationInfo) -> datetime:
        due_at = info.data.get("due_at")
        if due_at is not None and detected_at < due_at:
            raise ValueError("must not be before due_at")
        return detected_at

    @model_validator(mode="after")
    def _id(self) -> DeadlineBreach:
        expected = breach_id(self.delivery_id, self.stage)
        if self.breach_id != expected:
            raise ValueError(f"breach_id: must be breach_id(delivery_id, stage) = {expected}")
        return self
