"""The audit record of a dead-letter replay on ``rax.audit``: who replayed what, where to, as whom."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from schemas.base import DigestId, ShortText, Text, UtcDatetime, WireModel
from schemas.fields import RegionCode

__all__ = ["REPLAY_RECORD", "ReplayAudit", "ReplayOutcome", "ReplayRefusal"]

#: The value of ``record`` that tells a replay's audit record from a disclosure's on ``rax.audit``.
REPLAY_RECORD = "dlq_replay"


class ReplayOutcome(StrEnum):
    """What became of one dead letter an operator chose to replay."""

    SENT = "sent"  # authorised: written (and acknowledged) before the record is sent
    REFUSED = "refused"  # not authorised: nothing sent
    FAILED = "failed"  # authorised, but Kafka did not accept the replayed record


class ReplayRefusal(StrEnum):
    """Why a replay was refused (a bounded label)."""

    NO_SOURCE_TOPIC = "no_source_topic"  # the dead letter names no topic it came from
    NOT_AN_INPUT = "not_an_input"  # the named topic is not a region's input topic (rax.in.<region>.*)
    OTHER_REGION = "other_region"  # the named topic belongs to another region than the record's
    NO_IDENTITY = "no_identity"  # the region's credentials are not at hand: it cannot be replayed as it
    TRUNCATED = "truncated"  # the dead letter holds only the first bytes of the record (or none)


class ReplayAudit(WireModel):
    """One replay decision for one dead letter, written by the operator's tool to ``rax.audit``.

    Disclosure records (``AuditRecord``) have no ``record`` field; these always carry
    ``record = "dlq_replay"``. Key: ``replay_id``.
    """

    record: Literal["dlq_replay"] = Field(default="dlq_replay", description="Always dlq_replay.")
    replay_id: DigestId = Field(description="digest_id of the dead letter's position and the replay time.")
    dlq_topic: ShortText = Field(description="The dead-letter topic the record was replayed from.")
    dlq_partition: int = Field(ge=0, description="Its partition there.")
    dlq_offset: int = Field(ge=0, description="Its offset there.")
    region: RegionCode | None = Field(default=None, description="The region the record came from.")
    target_topic: ShortText | None = Field(
        default=None, description="Where the dead letter says it came from (escaped if not printable)."
    )
    identity: ShortText | None = Field(default=None, description="The identity the record was written as.")
    operator: ShortText = Field(description="Who ran the replay (the operator's Kafka user).")
    outcome: ReplayOutcome = Field(description="sent, refused or failed.")
    refusal: ReplayRefusal | None = Field(default=None, description="Why it was refused.")
    value_sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the bytes replayed."
    )
    at: UtcDatetime = Field(description="When the replay was decided, UTC.")
    detail: Text | None = Field(default=None, max_length=1000, description="Free text for a person.")

    @model_validator(mode="after")
    def _consistent(self) -> ReplayAudit:
        if (self.outcome == ReplayOutcome.REFUSED) != (self.refusal is not None):
            raise ValueError("refusal: given exactly when the outcome is refused")
        if self.outcome != ReplayOutcome.REFUSED and (self.region is None or self.identity is None):
            raise ValueError("identity: a replay that was sent names its region and identity")
        return self
