"""The match: a checkpoint hit that matched a watchlist entry, and how; written to ``rax.matches``."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from schemas.base import DigestId, EventId, ShortText, Text, UtcDatetime, WireModel, digest_id
from schemas.fields import RegionCode
from schemas.hits import CheckpointHit
from schemas.plate_pattern import is_partial
from schemas.vocab import Action, Category, Priority
from schemas.watchlist import MAX_TOLERANCE, Approval

__all__ = ["Match", "MatchKind", "match_id"]


class MatchKind(StrEnum):
    """How a hit matched: a person must verify anything but ``exact`` before acting."""

    EXACT = "exact"  # the normalised plate equals the entry's plate
    MISREAD = "misread"  # equal up to look-alike characters, or the read itself was corrected
    PARTIAL = "partial"  # matched a partial (wildcard) plate from a witness


def match_id(hit_event_id: str, entry_id: str) -> str:
    """The deterministic id of the match of one hit with one entry: ``digest_id("match", hit, entry)``.

    Re-processing the same hit (after a crash, a rebalance) gives the same id, so duplicates are
    recognised downstream.
    """
    return digest_id("match", hit_event_id, entry_id)


class Match(WireModel):
    """One hit matched against one watchlist entry, with the entry facts a recipient needs to act.

    Produced by the hot path, written to ``rax.matches`` (governance) in full, and disclosed to each
    recipient as a ``MatchNotice`` with the agreement's redactions applied.
    """

    match_id: DigestId = Field(description="match_id(hit.event_id, entry_id): deterministic.")
    hit: CheckpointHit = Field(description="The checkpoint hit that matched, in full.")
    entry_id: EventId = Field(description="The watchlist entry that matched.")
    owner: RegionCode = Field(description="The region that owns the entry.")
    category: Category = Field(description="The entry's category.")
    action: Action = Field(description="What the owner asks to be done.")
    priority: Priority = Field(description="The entry's priority.")
    kind: MatchKind = Field(description="How it matched: exact, misread or partial.")
    score: float = Field(ge=0, le=1, description="Match quality, 1 = exact; lower for misreads and partials.")
    edits: int = Field(
        default=0,
        ge=0,
        le=MAX_TOLERANCE,
        description="Characters of the read that differ from the entry's known characters, each within a "
        "look-alike class (0 if exact; at most the entry's tolerance).",
    )
    matched_plate: ShortText = Field(description="The entry's plate or partial pattern that matched.")
    operator: ShortText = Field(description="The officer who placed the entry (the contact).")
    legal_basis: Text = Field(max_length=1000, description="The entry's legal basis.")
    approval: Approval = Field(description="The entry's approval.")
    description: Text | None = Field(
        default=None, max_length=1000, description="The entry's vehicle description."
    )
    matched_at: UtcDatetime = Field(description="When the hot path matched it, UTC.")
    blind: bool = Field(
        default=False,
        description="The entry is blind (placed as tokens): whatever the match leads to (an operation, "
        "its closing, a temporary agreement's copy) is sealed to every recipient or not sent.",
    )

    @property
    def hit_region(self) -> str:
        """The region where the hit happened (属地)."""
        return self.hit.region

    @model_validator(mode="after")
    def _consistent(self) -> Match:
        expected = match_id(self.hit.event_id, self.entry_id)
        if self.match_id != expected:
            raise ValueError(f"match_id: must be match_id(hit.event_id, entry_id) = {expected}")
        partial = is_partial(self.matched_plate)
        if self.kind == MatchKind.EXACT and (self.edits or self.matched_plate != self.hit.plate):
            raise ValueError("kind: exact needs matched_plate equal to hit.plate and edits 0")
        if self.kind == MatchKind.EXACT and self.score != 1:
            raise ValueError("score: an exact match scores 1")
        if (self.kind == MatchKind.PARTIAL) != partial:
            raise ValueError("kind: partial exactly when matched_plate has wildcards")
        return self
