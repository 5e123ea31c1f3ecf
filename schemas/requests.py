"""Cooperation requests (协查) between regions and their answers, on ``rax.in.<region>.requests``.

A region asks one or more partner regions to act (locate or intercept a vehicle, verify a person or a
vehicle, provide a checkpoint's reads for a time window) with a purpose, a legal basis, a priority and a
deadline; each recipient accepts, answers (attachments are referenced by URI and SHA-256, never
embedded) or declines with a reason. Both travel on the sender's own requests topic keyed by the request
id, so the whole thread meets in one partition of the control app's inbox.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from schemas.base import (
    SINGLE_LINE,
    EventId,
    ShortText,
    Text,
    UtcDatetime,
    WireModel,
    WirePart,
    stable_event_id,
)
from schemas.fields import PlateText, RegionCode
from schemas.sharing import Purpose
from schemas.vocab import Action, Category, Priority

__all__ = [
    "AnswerStatus",
    "Attachment",
    "CooperationRequest",
    "RequestAnswer",
    "RequestKind",
    "RequestMessage",
    "answer_id",
]

#: How many regions one request may address (a zone has a few dozen members at most).
MAX_RECIPIENTS = 32


class RequestKind(StrEnum):
    """What the requester asks the recipient to do."""

    LOCATE_VEHICLE = "locate_vehicle"  # 查找车辆: where is / was this vehicle
    VERIFY_PERSON = "verify_person"  # 核查人员
    VERIFY_VEHICLE = "verify_vehicle"  # 核查车辆
    INTERCEPT = "intercept"  # 协助拦截
    CHECKPOINT_READS = "checkpoint_reads"  # 调取卡口过车记录 for a time window

    @property
    def action(self) -> Action:
        """The action it asks for (sets the acknowledgement deadline, as an entry's action does)."""
        return Action.INTERCEPT if self is RequestKind.INTERCEPT else Action.NOTIFY


class AnswerStatus(StrEnum):
    """A recipient's answer: accepted (working on it), answered (results), declined (with a reason)."""

    ACCEPTED = "accepted"
    ANSWERED = "answered"
    DECLINED = "declined"


class Attachment(WirePart):
    """A file the answer refers to; kept in the answering region's own store, never in the record."""

    uri: Annotated[str, Field(min_length=1, max_length=512, pattern=SINGLE_LINE)] = Field(
        description="Where the requester fetches it (the answering region's store)."
    )
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="SHA-256 of its bytes, lowercase hex: the requester checks what it fetched."
    )
    media_type: ShortText | None = Field(default=None, description="MIME type, e.g. image/jpeg.")
    size: int | None = Field(default=None, ge=0, description="Bytes.")


class CooperationRequest(WireModel):
    """A request of one region to partner regions (key on the topic: ``request_id``)."""

    type: Literal["request"] = Field(default="request", description="Tells a request from an answer.")
    request_id: EventId = Field(description="Id of the request (UUID), identical on every re-send.")
    requester: RegionCode = Field(description="The asking region: the region of the topic.")
    recipients: tuple[RegionCode, ...] = Field(
        min_length=1, max_length=MAX_RECIPIENTS, description="The partner regions asked."
    )
    kind: RequestKind = Field(description="What is asked.")
    category: Category = Field(description="The case's category: selects the agreements it may go under.")
    purpose: Purpose = Field(description="Why: must be a purpose of the agreements it goes under.")
    legal_basis: Text = Field(max_length=1000, description="The legal basis (法律依据) and approval.")
    priority: Priority = Field(description="How urgent: sets the deadline to acknowledge.")
    respond_by: UtcDatetime = Field(description="When a final answer (answered / declined) is due, UTC.")
    sent_at: UtcDatetime = Field(description="When the requester sent it, UTC.")
    operator: ShortText = Field(description="Police number or id of the officer asking.")
    plate: PlateText | None = Field(default=None, description="The vehicle's plate (vehicle kinds).")
    person: ShortText | None = Field(
        default=None, description="The person to verify: a reference, never more than needed."
    )
    checkpoint_id: ShortText | None = Field(default=None, description="checkpoint_reads: the checkpoint.")
    window_from: UtcDatetime | None = Field(default=None, description="checkpoint_reads: window start, UTC.")
    window_to: UtcDatetime | None = Field(default=None, description="checkpoint_reads: window end, UTC.")
    details: Text | None = Field(default=None, max_length=2000, description="Free text for the recipient.")

    @model_validator(mode="after")
    def _consistent(self) -> CooperationRequest:
        if len(set(self.recipients)) != len(self.recipients):
            raise ValueError("recipients: a region is named twice")
        if self.requester in self.recipients:
            raise ValueError("recipients: a region does not ask itself")
        if self.respond_by <= self.sent_at:
            raise ValueError("respond_by: must be after sent_at")
        vehicle = (RequestKind.LOCATE_VEHICLE, RequestKind.VERIFY_VEHICLE, RequestKind.INTERCEPT)
        if self.kind in vehicle and self.plate is None:
            raise ValueError(f"plate: a {self.kind.value} request names the plate")
        if self.kind == RequestKind.VERIFY_PERSON and self.person is None:
            raise ValueError("person: a verify_person request names the person")
        if self.kind == RequestKind.CHECKPOINT_READS:
            _window(self.checkpoint_id, self.window_from, self.window_to)
        return self


def _window(checkpoint: str | None, start: datetime | None, end: datetime | None) -> None:
    if checkpoint is None or start is None or end is None:
        raise ValueError("checkpoint_id: a checkpoint_reads request names the checkpoint and the window")
    if end <= start:
        raise ValueError("window_to: must be after window_from")


def answer_id(request_id: str, region: str, status: str, sequence: int = 0) -> str:
    """A deterministic answer id, for a client that wants re-sends to be recognised."""
    return stable_event_id("answer", request_id, region, status, str(sequence))


class RequestAnswer(WireModel):
    """A recipient's answer to a request (key on the topic: ``request_id``), on its own requests topic."""

    type: Literal["answer"] = Field(default="answer", description="Tells an answer from a request.")
    answer_id: EventId = Field(description="Id of this answer, identical on every re-send.")
    request_id: EventId = Field(description="The request answered.")
    region: RegionCode = Field(description="The answering region: a recipient, and the region of the topic.")
    status: AnswerStatus = Field(description="accepted, answered or declined.")
    at: UtcDatetime = Field(description="When the region answered, UTC.")
    operator: ShortText = Field(description="Police number or id of the officer answering.")
    reason: Text | None = Field(default=None, max_length=1000, description="Why it declines (required then).")
    text: Text | None = Field(default=None, max_length=4000, description="The answer for the requester.")
    attachments: tuple[Attachment, ...] = Field(
        default=(), max_length=32, description="Files referred to, by URI and SHA-256 (never embedded)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> RequestAnswer:
        if self.status == AnswerStatus.DECLINED and self.reason is None:
            raise ValueError("reason: a declined request says why")
        if self.status == AnswerStatus.ACCEPTED and self.attachments:
            raise ValueError("attachments: results come with an answer, not with an acceptance")
        return self


#: What ``rax.in.<region>.requests`` carries: a request or an answer, told apart by ``type``.
RequestMessage = Annotated[CooperationRequest | RequestAnswer, Field(discriminator="type")]
