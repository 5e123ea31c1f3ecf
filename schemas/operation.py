"""The special operation (专项) an escalation opens (trigger, evidence reads in order, regions, owner), the
owner's command that closes it with an outcome, and the closing notice its regions are given."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from schemas.base import DigestId, EventId, ShortText, Text, UtcDatetime, WireModel, WirePart, digest_id
from schemas.fields import RegionCode
from schemas.sharing import Purpose, RedactField
from schemas.vocab import Category, ColourField, Priority

__all__ = [
    "EscalationTrigger",
    "EvidenceRead",
    "Operation",
    "OperationClose",
    "OperationClosure",
    "OperationCommand",
    "OperationOutcome",
    "TemporaryAgreement",
    "close_id",
    "operation_id",
    "temporary_agreement_id",
]


class EscalationTrigger(StrEnum):
    """Which escalation rule opened the operation (a bounded metric label)."""

    MULTI_REGION = "multi_region"  # (a) a watchlisted vehicle matched in several regions within a window
    BORDER = "border"  # (b) a high-priority entry matched at a border checkpoint
    CLONED_PLATE = "cloned_plate"  # (c) two reads of one plate too far apart for the time between them
    CONVOY = "convoy"  # (d) two watchlisted vehicles passing the same checkpoints together


class EvidenceRead(WirePart):
    """One read that the escalation rests on: where and when, and the entry it matched, if any."""

    event_id: EventId = Field(description="The checkpoint hit's event id.")
    plate: ShortText = Field(description="The normalised plate read.")
    plate_colour: ColourField | None = Field(default=None, description="The colour read, if reported.")
    region: RegionCode = Field(description="The region whose checkpoint made the read (属地).")
    checkpoint_id: ShortText | None = Field(
        default=None, description="The checkpoint (absent when an agreement redacts it)."
    )
    pass_time: UtcDatetime = Field(description="When the vehicle passed, UTC.")
    entry_id: EventId | None = Field(default=None, description="The watchlist entry it matched, if any.")
    entry_owner: RegionCode | None = Field(
        default=None, description="That entry's owner (set for a convoy, whose reads match several entries)."
    )
    entry_category: Category | None = Field(
        default=None, description="That entry's category (set for a convoy, as entry_owner)."
    )


def operation_id(
    trigger: EscalationTrigger,
    plate: str,
    colour: str,
    first_event: str,
    last_event: str,
    entries: tuple[str, ...] = (),
) -> str:
    """The deterministic id of an operation: the same evidence processed again opens the same id.

    ``entries``: the watchlist entries its evidence matched (sorted, each once): two entries on one
    plate matched by the same reads open two operations (two owners), which must not share an id.
    """
    return digest_id("operation", trigger.value, plate, colour, first_event, last_event, *entries)


class Operation(WireModel):
    """A special operation opened by an escalation rule, delivered to its regions on ``rax.out.<r>``.

    Built by the escalate processor once, when the rule fires; closed by its owner with an
    ``OperationClose`` (or expired by the processor); meanwhile its owner may give its members a
    ``TemporaryAgreement``.
    """

    operation_id: DigestId = Field(
        description="operation_id(trigger, plate, colour, first, last read, entries)."
    )
    trigger: EscalationTrigger = Field(description="The rule that opened it.")
    plate: ShortText = Field(description="The plate concerned.")
    plate_colour: ColourField | None = Field(default=None, description="Its colour, if read.")
    category: Category = Field(description="The entry's category, or cloned_plate.")
    entry_id: EventId | None = Field(default=None, description="The watchlist entry, for (a) and (b).")
    evidence: tuple[EvidenceRead, ...] = Field(min_length=1, description="The reads, in pass-time order.")
    regions: tuple[RegionCode, ...] = Field(min_length=1, description="The regions involved, sorted.")
    owner: RegionCode = Field(
        description="Who leads it: the entry's owner, or for a cloned plate the region of the later read."
    )
    priority: Priority = Field(description="The entry's priority, or the cloned-plate rule's.")
    opened_at: UtcDatetime = Field(description="When the processor opened it, UTC.")
    detail: Text | None = Field(default=None, max_length=1000, description="Why, for a person.")
    blind: bool = Field(
        default=False,
        description="Opened on a blind entry's match: sealed to every recipient holding a key, refused "
        "(no_seal_key) to one holding none, never sent in clear.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Operation:
        times = [r.pass_time for r in self.evidence]
        if times != sorted(times):
            raise ValueError("evidence: the reads must be in pass-time order")
        if list(self.regions) != sorted(set(self.regions)):
            raise ValueError("regions: sorted and each once")
        return self


class OperationOutcome(StrEnum):
    """How the owner closes an operation: what the escalation turned out to be (a bounded metric label)."""

    CONFIRMED = "confirmed"  # the pattern was real: the vehicle sought, a cloned plate found
    FALSE_ALARM = "false_alarm"  # it was not (a misread, two honest vehicles, a wrong site or clock)
    INCONCLUSIVE = "inconclusive"  # could not be told


def close_id(operation_id: str, region: str, outcome: str) -> str:
    """The id of a close command: the same command sent again keeps its id (a re-send is one command)."""
    return digest_id("close", operation_id, region, outcome)


class OperationClose(WireModel):
    """The owner's command closing an operation, on ``rax.in.<owner>.operations`` keyed by operation id.

    Only the operation's owner may close it, on its own topic; a second close changes nothing.
    """

    close_id: DigestId = Field(description="close_id(operation_id, region, outcome).")
    operation_id: DigestId = Field(description="The operation closed (also the record's key).")
    region: RegionCode = Field(description="The region closing it: the operation's owner, the topic's.")
    outcome: OperationOutcome = Field(description="What the escalation turned out to be.")
    note: Text | None = Field(default=None, max_length=1000, description="Why, for a person.")
    operator: ShortText | None = Field(default=None, description="Who closed it at the owner's centre.")
    at: UtcDatetime = Field(description="When the owner closed it (its clock), UTC.")


class OperationClosure(WirePart):
    """An operation's end as its regions are told: delivered as kind ``operation_closed``."""

    operation_id: DigestId = Field(description="The operation closed.")
    trigger: EscalationTrigger = Field(description="The rule that opened it.")
    plate: ShortText = Field(description="The plate concerned.")
    owner: RegionCode = Field(description="Who led and closed it.")
    outcome: OperationOutcome = Field(description="What the escalation turned out to be.")
    note: Text | None = Field(default=None, max_length=1000, description="The owner's note.")
    opened_at: UtcDatetime = Field(description="When it was opened, UTC.")
    closed_at: UtcDatetime = Field(description="When the processor recorded the close (its clock), UTC.")


def temporary_agreement_id(operation_id: str, region: str, at: str) -> str:
    """The id of a temporary agreement: the same command sent again keeps its id."""
    return digest_id("temporary-agreement", operation_id, region, at)


class TemporaryAgreement(WireModel):
    """The owner's temporary agreement for an operation, on ``rax.in.<owner>.operations`` keyed by its id.

    While it is in force (until ``expires_at``, or until the operation ends), matches on the operation's
    vehicles of ``categories`` flow to every member region of the operation that the standing agreements
    would not give them to, minus the standing redactions except ``unredact``, for ``purpose``. It is
    accepted only from the owner, for an open operation, when every member's standing agreement with the
    owner (in force) lists ``purpose``: the members' agreements must allow what it broadens. A second
    one replaces the first. Every disclosure under it is audited with reason ``temporary_agreement``.
    """

    agreement_id: DigestId = Field(description="temporary_agreement_id(operation_id, region, at).")
    operation_id: DigestId = Field(description="The operation it is for (also the record's key).")
    region: RegionCode = Field(description="The region issuing it: the operation's owner, the topic's.")
    categories: tuple[Category, ...] = Field(
        min_length=1, description="Categories of the owner's entries whose matches flow to the members."
    )
    unredact: tuple[RedactField, ...] = Field(
        default=(), description="Fields the standing agreements redact that the members get under it."
    )
    purpose: Purpose = Field(description="Why: a purpose every member's agreement with the owner lists.")
    legal_basis: Text = Field(max_length=1000, description="The legal basis it rests on (for the audit).")
    expires_at: UtcDatetime = Field(description="When it ends at the latest, UTC.")
    operator: ShortText | None = Field(default=None, description="Who issued it at the owner's centre.")
    at: UtcDatetime = Field(description="When the owner issued it (its clock), UTC.")


#: what a region publishes on ``rax.in.<region>.operations``: a close, or a temporary agreement
OperationCommand = OperationClose | TemporaryAgreement
