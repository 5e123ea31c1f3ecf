"""Scorecard periods: UTC hours, days and Monday-based weeks, as epoch-second intervals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from schemas.scorecard import Period

__all__ = ["HOUR", "LENGTH", "Window", "hours", "iso", "period_start", "windows_of"]

HOUR = 3600
LENGTH = {Period.HOUR: HOUR, Period.DAY: 24 * HOUR, Period.WEEK: 7 * 24 * HOUR}
#: 1970-01-01 was a Thursday: weeks start 3 days later, on Monday 1970-01-05
_WEEK_ORIGIN = 4 * 24 * HOUR

#: one period of one length: (period, start epoch seconds)
Window = tuple[Period, int]


def period_start(period: Period, t: float) -> int:
    """The start (epoch seconds) of the period of this length that contains ``t``."""
    length = LENGTH[period]
    origin = _WEEK_ORIGIN if period is Period.WEEK else 0
    return int((t - origin) // length) * length + origin


def windows_of(t: float) -> Iterator[Window]:
    """The hour, day and week that contain ``t``."""
    for period in Period:
        yield period, period_start(period, t)


def hours(start: int, end: int) -> Iterator[int]:
    """The hour starts in [start, end)."""
    return iter(range(period_start(Period.HOUR, start), end, HOUR))


def iso(t: float) -> str:
    """An epoch time as the ISO text used in scorecard keys (``2026-12-05T11:00:00Z``)."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
