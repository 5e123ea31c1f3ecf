"""What the web endpoints serve: snapshots prepared in the loop thread, read whole by the web thread.

The web server runs in a thread of its own and must never iterate the live stores or counters; the
loop thread builds plain dicts and replaces the reference (one assignment, atomic in CPython), so a
request sees one snapshot or the next, never one half-built. Preparing them also sets the gauges derived
from the same figures (outcome ratios per region, active and review-overdue entries per region).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from streams.control.acks.outcomes import DIMENSIONS, OutcomeStats, merged
from streams.control.metrics import ControlMetrics
from streams.control.state import EntryState
from streams.control.watchlist.logic import ACTIVE, overdue_reviews

__all__ = ["Views"]

log = logging.getLogger(__name__)


class Views:
    """``outcomes`` (``/outcomes``) and ``review`` (``/watchlist/review``): the latest snapshots."""

    def __init__(self, metrics: ControlMetrics) -> None:
        self.metrics = metrics
        self.outcomes: dict[str, Any] = {d: {} for d in DIMENSIONS}
        self.review: dict[str, Any] = {"overdue": {}, "entries": [], "at": None}
        self._reported: set[str] = set()

    def refresh_outcomes(self, parts: Iterable[OutcomeStats]) -> None:
        """Final outcomes per region, checkpoint and entry over every partition; ratio gauges per region."""
        total = merged(parts)
        snapshot: dict[str, Any] = {d: total.snapshot(d) for d in DIMENSIONS}
        for region, rates in snapshot["region"].items():
            self.metrics.interception.labels(region).set(rates["interception_rate"])
            self.metrics.false_positive.labels(region).set(rates["false_positive_rate"])
        self.outcomes = snapshot

    def refresh_review(
        self, entries: Iterable[tuple[str, EntryState]], now: datetime, regions: Iterable[str]
    ) -> None:
        """Count active and review-overdue entries per owner; log each newly overdue entry once."""
        rows = list(entries)
        active = Counter(s["owner"] for _, s in rows if s["status"] == ACTIVE)
        overdue, ids = overdue_reviews(rows, now)
        for region in set(active) | set(overdue) | set(regions):
            self.metrics.active_entries.labels(region).set(active[region])
            self.metrics.review_overdue.labels(region).set(overdue[region])
        for entry_id in sorted(set(ids) - self._reported):
            log.warning("watchlist entry %s is past its review date", entry_id)
        self._reported = set(ids)
        self.review = {"overdue": dict(overdue), "entries": ids, "at": now.isoformat()}
