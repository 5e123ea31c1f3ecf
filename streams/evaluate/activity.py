"""The region's checkpoints: reads against their own baseline, their matches' outcomes, and data freshness."""

from __future__ import annotations

from collections import defaultdict

from schemas.scorecard import CheckpointCard, CheckpointStatus, Freshness
from streams.evaluate.ledger import Ledger
from streams.evaluate.periods import HOUR, hours
from streams.evaluate.stats import DELAY_BOUNDS, histogram_percentile
from streams.evaluate.timing import view

__all__ = ["BASELINE_S", "checkpoint_cards", "freshness", "status"]

#: the baseline of a period: the checkpoint's reads in the 7 days before it
BASELINE_S = 7 * 24 * HOUR
#: fewer hours of history than this: no baseline yet
MIN_BASELINE_HOURS = 24
#: a baseline expecting fewer reads than this in the period cannot call a checkpoint silent
MIN_EXPECTED = 3.0


def status(reads: int, expected: float | None) -> CheckpointStatus:
    """ok, degraded (under half of expected), silent (none where some are expected) or unknown."""
    if expected is None or expected < MIN_EXPECTED:
        return CheckpointStatus.OK if expected is not None and reads > 0 else CheckpointStatus.UNKNOWN
    if reads == 0:
        return CheckpointStatus.SILENT
    return CheckpointStatus.DEGRADED if reads < 0.5 * expected else CheckpointStatus.OK


def _baseline(counts: dict[int, int], start: int, since: float) -> tuple[int, float | None]:
    """Reads in the baseline window and the mean per hour over the hours the checkpoint was known."""
    first = min(counts)
    begin = max(start - BASELINE_S, first, int(since // HOUR) * HOUR)
    n_hours = max(0, (start - begin) // HOUR)
    total = sum(counts.get(h, 0) for h in hours(start - BASELINE_S, start))
    if n_hours < MIN_BASELINE_HOURS:
        return total, None
    return total, total / n_hours


def checkpoint_cards(ledger: Ledger, region: str, start: int, end: int) -> tuple[CheckpointCard, ...]:
    """Every checkpoint of ``region`` with reads in the period or its baseline window."""
    outcomes = _match_outcomes(ledger, region, start, end)
    cards = []
    for cp in sorted(ledger.checkpoints_of.get(region, ())):
        counts: dict[int, int] = ledger.reads.get((region, cp), {})
        reads = sum(counts.get(h, 0) for h in hours(start, end))
        base_reads, per_hour = _baseline(counts, start, ledger.since)
        if reads == 0 and base_reads == 0:
            continue
        expected = None if per_hour is None else per_hour * (end - start) / HOUR
        matches, intercepted, false_positive = outcomes.get(cp, (0, 0, 0))
        cards.append(
            CheckpointCard(
                checkpoint_id=cp,
                reads=reads,
                baseline_per_hour=None if per_hour is None else round(per_hour, 3),
                expected=None if expected is None else round(expected, 3),
                status=status(reads, expected),
                matches=matches,
                intercepted=intercepted,
                false_positive=false_positive,
            )
        )
    return tuple(cards)


def _match_outcomes(ledger: Ledger, region: str, start: int, end: int) -> dict[str, tuple[int, int, int]]:
    """Per checkpoint of ``region``: matches delivered in the window, and how many ended intercepted or
    false (the final outcome any recipient reported)."""
    per: defaultdict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for hour in hours(start, end):
        for did in ledger.seen_in.get((region, hour), ()):
            d = ledger.disclosures[did]
            v = view(ledger, d)
            m = ledger.match_for(d)
            if m is None:
                continue
            sets = per[m.checkpoint_id]
            sets["all"].add(m.match_id)
            if v.outcome is not None:
                sets[v.outcome].add(m.match_id)
    return {cp: (len(s["all"]), len(s["intercepted"]), len(s["false_positive"])) for cp, s in per.items()}


def freshness(ledger: Ledger, region: str, start: int, end: int) -> Freshness:
    """Read → exchange delay of the region's reads passed in the window (histogram bucket bounds)."""
    counts = [0] * len(DELAY_BOUNDS)
    for hour in hours(start, end):
        for i, n in enumerate(ledger.delays.get((region, hour), ())):
            counts[i] += n
    return Freshness(
        reads=sum(counts),
        p50_s=histogram_percentile(counts, 0.5),
        p90_s=histogram_percentile(counts, 0.9),
    )
