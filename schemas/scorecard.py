"""The scorecard on ``rax.scorecards``: how one region did its part of the exchange over one period."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from schemas.base import ShortText, UtcDatetime, WireModel, WirePart
from schemas.fields import RegionCode
from schemas.matching import MatchKind

__all__ = [
    "CheckpointCard",
    "CheckpointStatus",
    "EntryCard",
    "Freshness",
    "KindOutcomes",
    "Period",
    "RequestFigures",
    "Scorecard",
    "Timing",
    "scorecard_key",
]


class Period(StrEnum):
    """The length of a scorecard's period; periods start on UTC boundaries (weeks on Monday)."""

    HOUR = "hour"
    DAY = "day"
    WEEK = "week"


class CheckpointStatus(StrEnum):
    """A checkpoint's activity in the period against its own baseline (the 7 days before the period)."""

    OK = "ok"
    DEGRADED = "degraded"  # fewer than half the reads its baseline expects
    SILENT = "silent"  # no read at all where its baseline expects some
    UNKNOWN = "unknown"  # no baseline yet (new checkpoint, or too few reads to judge)


def scorecard_key(region: str, period: Period, start: str) -> str:
    """The key of a scorecard on the compacted topic: ``<region>/<period>/<start ISO>``."""
    return f"{region}/{period.value}/{start}"


class Timing(WirePart):
    """Answers a region owed in the period: how many, how fast (p50/p90, seconds), how many late."""

    owed: int = Field(ge=0, description="Deliveries made to the region in the period that owe this answer.")
    answered: int = Field(ge=0, description="Of those, answered (at any time up to the scorecard's as_of).")
    p50_s: float | None = Field(default=None, description="Median time to answer, seconds; null if none.")
    p90_s: float | None = Field(default=None, description="90th percentile time to answer, seconds.")
    breaches: int = Field(ge=0, description="Answered after the deadline, or unanswered past it at as_of.")


class KindOutcomes(WirePart):
    """Final outcomes the region reported on matches of one kind (exact, misread, partial)."""

    kind: MatchKind = Field(description="How the matches matched.")
    reported: int = Field(ge=0, description="Matches with a final outcome reported by the region.")
    intercepted: int = Field(ge=0, description="Of those, intercepted.")
    false_positive: int = Field(ge=0, description="Of those, reported as the wrong vehicle.")
    interception_rate: float | None = Field(default=None, description="intercepted / reported.")
    false_hit_rate: float | None = Field(default=None, description="false_positive / reported.")


class CheckpointCard(WirePart):
    """One of the region's checkpoints: its reads against its baseline, and what its matches came to."""

    checkpoint_id: ShortText = Field(description="The checkpoint.")
    reads: int = Field(ge=0, description="Reads in the period.")
    baseline_per_hour: float | None = Field(
        default=None, description="Mean reads per hour over the 7 days before the period; null if none."
    )
    expected: float | None = Field(default=None, description="baseline_per_hour × hours of the period.")
    status: CheckpointStatus = Field(description="ok, degraded, silent, or unknown.")
    matches: int = Field(ge=0, description="Deliveries of matches on its reads (to any region).")
    intercepted: int = Field(ge=0, description="Of those, reported intercepted.")
    false_positive: int = Field(ge=0, description="Of those, reported as the wrong vehicle.")


class EntryCard(WirePart):
    """One watchlist entry or alert the region owns: what its deliveries came to."""

    entry_id: ShortText = Field(description="The entry id or alert identifier.")
    deliveries: int = Field(ge=0, description="Deliveries to other regions in the period.")
    acknowledged: int = Field(ge=0, description="Of those, acknowledged.")
    reported: int = Field(ge=0, description="Of those, with a final outcome.")
    intercepted: int = Field(ge=0, description="Of those, intercepted.")
    false_positive: int = Field(ge=0, description="Of those, reported as the wrong vehicle.")


class Freshness(WirePart):
    """Read → exchange delay of the region's reads (pass time to the record's time on its hits topic)."""

    reads: int = Field(ge=0, description="Reads of the region in the period.")
    p50_s: float | None = Field(default=None, description="Median delay, seconds (histogram bucket bound).")
    p90_s: float | None = Field(default=None, description="90th percentile delay, seconds (bucket bound).")


class RequestFigures(WirePart):
    """Cooperation requests (协查) the region received in the period and what it did with them."""

    received: int = Field(ge=0, description="Requests addressed to the region.")
    answered: int = Field(ge=0, description="Of those, answered.")
    declined: int = Field(ge=0, description="Of those, declined.")
    breaches: int = Field(ge=0, description="Answered or declined after the deadline, or not at all by it.")


class Scorecard(WireModel):
    """How a region did its part over one period; a pure function of the evaluator's input events.

    Keyed ``scorecard_key(region, period, start)`` on the compacted ``rax.scorecards``: the latest value
    of a key is the current scorecard of that region and period. Recomputing from the same events gives
    an equal scorecard (``rax evaluate rebuild``).
    """

    region: RegionCode = Field(description="The region scored.")
    period: Period = Field(description="hour, day or week.")
    start: UtcDatetime = Field(description="Start of the period, UTC (inclusive).")
    end: UtcDatetime = Field(description="End of the period, UTC (exclusive).")
    as_of: UtcDatetime = Field(
        description="The latest event time the evaluator had seen: deadlines are judged at this time."
    )
    acknowledge: Timing = Field(description="Time to acknowledge deliveries made to the region.")
    answer: Timing = Field(description="Time to a final outcome, for deliveries that ask for one.")
    outcome_reporting_rate: float | None = Field(
        default=None, description="answer.answered / answer.owed; null when nothing was owed."
    )
    outcomes: tuple[KindOutcomes, ...] = Field(default=(), description="Per match kind.")
    checkpoints: tuple[CheckpointCard, ...] = Field(default=(), description="The region's checkpoints.")
    entries: tuple[EntryCard, ...] = Field(default=(), description="Entries and alerts the region owns.")
    freshness: Freshness = Field(description="Read → exchange delay of the region's reads.")
    requests: RequestFigures | None = Field(
        default=None, description="Cooperation requests; null while the exchange carries none."
    )
