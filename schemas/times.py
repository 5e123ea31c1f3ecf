"""Plausible times: how far from the receiving clock the times of a record may lie (a zone's ``times``).

A model cannot judge a time against "now": it has no receiving clock, and a record replayed a year
later is the same record. So the bounds are applied where a record is received — the hot path for
hits, the control app for alerts, watchlist commands and acknowledgements — with that process's
clock, and a record outside them is dead-lettered (``implausible_time``) with the field, its value
and the bound in the reason. Two kinds of time:

* a time that has *happened* (a read, a message sent, a command issued, an approval, an ack) may be
  ahead of the receiving clock by ``skew_s`` at most (the clocks' disagreement), and behind it by the
  age its kind allows;
* a *scheduled* time (an entry's expiry and review, an alert's effective, onset and expires) may be up
  to ``horizon_s`` ahead, and no further behind than ``record_age_s``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import datetime, timedelta

from pydantic import Field

from schemas.acks import Acknowledgement
from schemas.alerts import Alert
from schemas.base import WirePart
from schemas.hits import CheckpointHit
from schemas.watchlist import PlaceCommand, WithdrawCommand

__all__ = [
    "TimeBounds",
    "ack_time_problem",
    "alert_time_problem",
    "command_time_problem",
    "hit_time_problem",
]

_DAY = 86_400
_YEAR = 366 * _DAY

#: (field path, value, earliest allowed, latest allowed, the setting that sets the violated side)
#: (path, value, earliest, latest, (seconds, setting) of the early rule, of the late rule); the rules are
#: worded only when one is broken: the checks run on every record, a refusal is rare
_Check = tuple[str, datetime | None, datetime, datetime, tuple[int, str], tuple[int, str]]


class TimeBounds(WirePart):
    """How far from the receiving clock a record's times may lie; a zone file's ``times`` block."""

    skew_s: int = Field(
        default=300,
        ge=0,
        le=_DAY,
        description="How far ahead of the receiving clock a time that has already happened may be "
        "(a read's pass time, an alert's sent, a command's issued_at, an approval, an ack's at): the "
        "disagreement of the clocks tolerated. Also how far before its delivery an ack may be dated.",
    )
    read_age_s: int = Field(
        default=3 * _DAY,
        ge=60,
        le=_YEAR,
        description="How far behind the receiving clock a read's pass_time (and received_at) may be; "
        "the retention of rax.in.<region>.hits by default: an older read could be neither "
        "deduplicated nor replayed.",
    )
    alert_age_s: int = Field(
        default=7 * _DAY,
        ge=60,
        le=_YEAR,
        description="How far behind the receiving clock an alert's sent may be.",
    )
    command_age_s: int = Field(
        default=7 * _DAY,
        ge=60,
        le=_YEAR,
        description="How far behind the receiving clock a watchlist command's issued_at may be.",
    )
    ack_age_s: int = Field(
        default=7 * _DAY,
        ge=60,
        le=_YEAR,
        description="How far behind the receiving clock an acknowledgement's at may be (it may never "
        "be more than skew_s before the delivery it answers).",
    )
    record_age_s: int = Field(
        default=400 * _DAY,
        ge=_DAY,
        le=10 * _YEAR,
        description="How far behind the receiving clock any other time may be: an approval, an "
        "entry's placed_at, a referenced message's sent, an alert's effective, onset or expires.",
    )
    horizon_s: int = Field(
        default=400 * _DAY,
        ge=_DAY,
        le=10 * _YEAR,
        description="How far ahead of the receiving clock a scheduled time may be: an entry's "
        "expires_at and review_at, an alert's effective, onset and expires.",
    )


def _span(seconds: float) -> str:
    """A duration as a person reads it: 90 s, 12 min, 5 h, 3 d, 7975 years."""
    seconds = abs(seconds)
    for unit, size in (("years", 365.25 * _DAY), ("d", _DAY), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _seconds(a: datetime, b: datetime) -> float:
    """``a - b`` in seconds, also for the years 1 and 9999 (where adding a bound would overflow)."""
    return (a - b).total_seconds()


def _rule(rule: tuple[int, str], direction: str) -> str:
    seconds, setting = rule
    return f"{_span(seconds)} {direction} (zone times.{setting})"


def _first_problem(checks: Iterator[_Check], now: datetime) -> str | None:
    for path, value, earliest, latest, early_rule, late_rule in checks:
        if value is None or earliest <= value <= latest:
            continue
        clock = now.isoformat().replace("+00:00", "Z")
        shown = value.isoformat().replace("+00:00", "Z")
        if _seconds(value, latest) > 0:
            ahead = _seconds(value, now)
            where = "ahead of" if ahead > 0 else "behind"
            return (
                f"{path} {shown} is {_span(ahead)} {where} the exchange's clock ({clock}); "
                f"at most {_rule(late_rule, 'ahead')} allowed"
            )
        behind = _seconds(now, value)
        where = "behind" if behind > 0 else "ahead of"
        return (
            f"{path} {shown} is {_span(behind)} {where} the exchange's clock ({clock}); "
            f"at most {_rule(early_rule, 'behind')} allowed"
        )
    return None


def _back(now: datetime, seconds: int) -> datetime:
    return now - timedelta(seconds=seconds)


def _ahead(now: datetime, seconds: int) -> datetime:
    return now + timedelta(seconds=seconds)


def _happened(path: str, value: datetime | None, now: datetime, b: TimeBounds, age: str) -> _Check:
    """A time that has happened: at most ``skew_s`` ahead, at most the setting ``age`` behind."""
    age_s: int = getattr(b, age)
    return (
        path,
        value,
        _back(now, age_s),
        _ahead(now, b.skew_s),
        (age_s, age),
        (b.skew_s, "skew_s"),
    )


def _scheduled(path: str, value: datetime | None, now: datetime, b: TimeBounds) -> _Check:
    """A scheduled time: at most ``horizon_s`` ahead, at most ``record_age_s`` behind."""
    return (
        path,
        value,
        _back(now, b.record_age_s),
        _ahead(now, b.horizon_s),
        (b.record_age_s, "record_age_s"),
        (b.horizon_s, "horizon_s"),
    )


@functools.lru_cache(maxsize=16)
def _read_limits(now: datetime, read_age_s: int, skew_s: int) -> tuple[datetime, datetime]:
    """The earliest and latest plausible read times at ``now``: one pair per batch (``now`` is the
    batch's), so the hot path does not build two datetimes per hit."""
    return _back(now, read_age_s), _ahead(now, skew_s)


def hit_time_problem(hit: CheckpointHit, bounds: TimeBounds, now: datetime) -> str | None:
    """Why the hit's times are implausible at ``now`` (the receiving clock), or None."""
    earliest, latest = _read_limits(now, bounds.read_age_s, bounds.skew_s)
    received = hit.received_at
    if earliest <= hit.pass_time <= latest and (received is None or earliest <= received <= latest):
        return None  # the common case, decided without wording anything

    def checks() -> Iterator[_Check]:
        yield _happened("pass_time", hit.pass_time, now, bounds, "read_age_s")
        yield _happened("received_at", hit.received_at, now, bounds, "read_age_s")

    return _first_problem(checks(), now)


def alert_time_problem(alert: Alert, bounds: TimeBounds, now: datetime) -> str | None:
    """Why the alert's times are implausible at ``now`` (the receiving clock), or None."""

    def checks() -> Iterator[_Check]:
        yield _happened("sent", alert.sent, now, bounds, "alert_age_s")
        for i, ref in enumerate(alert.references):
            yield _happened(f"references[{i}].sent", ref.sent, now, bounds, "record_age_s")
        for i, info in enumerate(alert.info):
            for name in ("effective", "onset", "expires"):
                yield _scheduled(f"info[{i}].{name}", getattr(info, name), now, bounds)

    return _first_problem(checks(), now)


def command_time_problem(
    command: PlaceCommand | WithdrawCommand, bounds: TimeBounds, now: datetime
) -> str | None:
    """Why the watchlist command's times are implausible at ``now`` (the receiving clock), or None."""

    def checks() -> Iterator[_Check]:
        yield _happened("issued_at", command.issued_at, now, bounds, "command_age_s")
        if isinstance(command, WithdrawCommand):
            yield _happened("approval.approved_at", command.approval.approved_at, now, bounds, "record_age_s")
            return
        entry = command.entry
        yield _happened("entry.placed_at", entry.placed_at, now, bounds, "record_age_s")
        yield _happened("entry.approval.approved_at", entry.approval.approved_at, now, bounds, "record_age_s")
        yield _scheduled("entry.expires_at", entry.expires_at, now, bounds)
        yield _scheduled("entry.review_at", entry.review_at, now, bounds)

    return _first_problem(checks(), now)


def ack_time_problem(
    ack: Acknowledgement, delivered_at: datetime, bounds: TimeBounds, now: datetime
) -> str | None:
    """Why the ack's ``at`` is implausible at ``now``: too far ahead or behind, or before its delivery."""
    earliest_answer = delivered_at - timedelta(seconds=bounds.skew_s)
    if _seconds(ack.at, earliest_answer) < 0:
        return (
            f"at {ack.at.isoformat().replace('+00:00', 'Z')} is {_span(_seconds(delivered_at, ack.at))} "
            f"before the delivery it answers was made ({delivered_at.isoformat().replace('+00:00', 'Z')}); "
            f"at most {_span(bounds.skew_s)} allowed (zone times.skew_s)"
        )
    return _first_problem(iter([_happened("at", ack.at, now, bounds, "ack_age_s")]), now)
