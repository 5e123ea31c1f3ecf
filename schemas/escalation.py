"""Escalation rules (常态→专项) as declared in a zone file's ``escalation`` block, with checkpoint sites."""

from __future__ import annotations

from pydantic import Field, model_validator

from schemas.base import ShortText, WirePart
from schemas.vocab import Priority

__all__ = [
    "BorderRule",
    "CheckpointSite",
    "ClonedPlateRule",
    "ConvoyRule",
    "EscalationRules",
    "MultiRegionRule",
]


class CheckpointSite(WirePart):
    """Where a checkpoint stands (WGS-84), for the cloned-plate rule's distances."""

    checkpoint_id: ShortText = Field(description="Checkpoint id (kkbh) as hits carry it.")
    lat: float = Field(ge=-90, le=90, description="Latitude, degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees.")
    road_factor: float | None = Field(
        default=None,
        ge=1,
        le=5,
        description="Road distance over straight-line distance from this checkpoint; absent = the "
        "cloned-plate rule's road_factor. Of two checkpoints, the smaller factor is used.",
    )


class MultiRegionRule(WirePart):
    """(a) A watchlisted vehicle matched in at least ``min_regions`` regions (or ``min_checkpoints``
    checkpoints) within ``window_s`` seconds of pass time, per watchlist entry."""

    min_regions: int = Field(default=3, ge=2, le=50, description="Distinct hit regions that open it.")
    min_checkpoints: int | None = Field(
        default=None,
        ge=2,
        le=200,
        description="Distinct checkpoints that open it too (absent: regions only).",
    )
    window_s: float = Field(
        default=3600, gt=0, le=7 * 86400, description="Pass-time window the matches must lie in."
    )
    priorities: tuple[Priority, ...] = Field(
        default=tuple(Priority),
        min_length=1,  # none: a rule that never fires, declared as if it did
        description="Entry priorities the rule applies to (default: all).",
    )


class BorderRule(WirePart):
    """(b) A match of an entry of one of ``priorities`` at one of ``checkpoints`` (border checkpoints)."""

    checkpoints: tuple[ShortText, ...] = Field(min_length=1, description="The border checkpoints (kkbh).")
    priorities: tuple[Priority, ...] = Field(
        default=(Priority.URGENT, Priority.HIGH),
        min_length=1,
        description="Entry priorities that open an operation.",
    )
    cooldown_s: float = Field(
        default=3600,
        gt=0,
        le=7 * 86400,
        description="Pass-time seconds after one operation in which the same entry opens no other.",
    )


class ClonedPlateRule(WirePart):
    """(c) Two reads of one plate and colour whose road distance over time exceeds ``max_speed_kmh``,
    watchlisted or not. Only checkpoints with a site are compared."""

    max_speed_kmh: float = Field(
        default=200, gt=0, le=1000, description="Fastest plausible average speed between checkpoints."
    )
    road_factor: float = Field(
        default=1.3, ge=1, le=5, description="Road distance over straight-line distance, by default."
    )
    min_distance_km: float = Field(
        default=20,
        ge=0,
        le=5000,
        description="Closer checkpoints are never compared (site errors, clock skew between cameras).",
    )
    window_s: float = Field(
        default=6 * 3600,
        gt=0,
        le=86400,
        description="Only reads less than this apart in pass time are compared (this far apart: not).",
    )
    min_confidence: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="Reads below this reader confidence, or breaking an issuing rule, are not compared "
        "(misreads are the usual false clone). A read without a confidence is compared.",
    )
    corroborating_checkpoints: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Distinct checkpoints each of the two vehicles must be read at (each read consistent "
        "with its own vehicle's and inconsistent with the other's) before a suspicion opens: 1 compares "
        "two single reads, so one confident misread of another car opens one; 2 wants each vehicle seen "
        "twice, which a one-off misread is not.",
    )
    priority: Priority = Field(default=Priority.HIGH, description="Priority of the operation it opens.")


class ConvoyRule(WirePart):
    """(d) Two watchlisted vehicles (two plates) passing the same checkpoints, each time within ``gap_s``
    seconds of each other, at ``min_checkpoints`` distinct checkpoints within ``window_s``: a convoy."""

    gap_s: float = Field(
        default=30, gt=0, le=600, description="Most seconds between the two vehicles at one checkpoint."
    )
    min_checkpoints: int = Field(
        default=3, ge=2, le=50, description="Distinct checkpoints passed together that open it."
    )
    window_s: float = Field(
        default=3600, gt=0, le=86400, description="Pass-time window the passes together must lie in."
    )
    priorities: tuple[Priority, ...] = Field(
        default=tuple(Priority),
        min_length=1,  # none: a rule that never fires, declared as if it did
        description="Entry priorities the rule applies to (default: all).",
    )


class EscalationRules(WirePart):
    """Which routine matches and reads open a special operation (专项), and the checkpoint sites.

    Every rule is optional; a zone without this block escalates nothing.
    """

    multi_region: MultiRegionRule | None = Field(default=None, description="(a) Seen in several regions.")
    border: BorderRule | None = Field(default=None, description="(b) High priority at a border checkpoint.")
    cloned_plate: ClonedPlateRule | None = Field(default=None, description="(c) Implausible travel time.")
    convoy: ConvoyRule | None = Field(
        default=None, description="(d) Watchlisted vehicles travelling together."
    )
    checkpoints: tuple[CheckpointSite, ...] = Field(
        default=(), description="Checkpoint sites, for the cloned-plate rule."
    )

    @model_validator(mode="after")
    def _unique_sites(self) -> EscalationRules:
        seen: set[str] = set()
        for i, site in enumerate(self.checkpoints):
            if site.checkpoint_id in seen:
                raise ValueError(f"checkpoints[{i}].checkpoint_id: {site.checkpoint_id} is listed twice")
            seen.add(site.checkpoint_id)
        return self
