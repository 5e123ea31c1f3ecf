"""The control app's timers: deadline breaches and watchlist expiries every tick, review counts less often."""

from __future__ import annotations

import logging
from collections import Counter

from streams.control.acks.deadlines import breach
from streams.control.common import from_epoch
from streams.control.watchlist.logic import ACTIVE, expire, overdue_reviews
from streams.control.worker.runtime import ControlRuntime

__all__ = ["register_timers"]

log = logging.getLogger(__name__)


async def check_deadlines(rt: ControlRuntime, now: float) -> None:
    """Raise a breach for every answer due by ``now`` and still missing."""
    for item in rt.due.pop_due(now):
        state = rt.deliveries.get(item[1])
        if state is None or (item[1], item[2]) in rt.breached:
            continue
        result = breach(item, state, catalogue=rt.catalogue, now=from_epoch(now), produced=rt.produced)
        if result is None:
            continue
        # the breach is stored when the deliveries agent reads it back from the owner's out topic
        await rt.emit(result.outputs)
        rt.breached.add((item[1], item[2]))
        if not result.outputs:
            continue  # raised before a restart
        rt.metrics.breaches.labels(result.breach.region, result.breach.stage.value).inc()
        log.warning(
            "deadline breach: region %s did not %s delivery %s of %s by %s",
            result.breach.region,
            result.breach.stage.value,
            result.breach.delivery_id,
            result.breach.owner,
            result.breach.due_at.isoformat(),
        )
    rt.metrics.pending_deadlines.set(len(rt.due))


async def check_expiries(rt: ControlRuntime, now: float) -> None:
    """Tombstone every active entry whose expiry has passed."""
    for _, entry_id, _ in rt.expiries.pop_due(now):
        state = rt.entries.get(entry_id)
        if state is None:
            continue
        result = expire(entry_id, state, rt.catalogue, from_epoch(now))
        if result is None:
            continue
        await rt.emit(result.outputs, wait=True)
        rt.entries[entry_id] = result.entries[entry_id]
        rt.metrics.watchlist.labels(state["owner"], "expire").inc()
        log.info("watchlist entry %s of %s expired", entry_id, state["owner"])


def count_entries(rt: ControlRuntime, now: float, reported: set[str]) -> None:
    """Set the active and review-overdue gauges; log each newly overdue entry once."""
    entries = list(rt.entries.items())
    active = Counter(s["owner"] for _, s in entries if s["status"] == ACTIVE)
    overdue, ids = overdue_reviews(entries, from_epoch(now))
    for region in set(active) | set(overdue) | set(rt.zone.zone.codes):
        rt.metrics.active_entries.labels(region).set(active[region])
        rt.metrics.review_overdue.labels(region).set(overdue[region])
    for entry_id in set(ids) - reported:
        log.warning("watchlist entry %s is past its review date", entry_id)
    reported.clear()
    reported.update(ids)


def register_timers(rt: ControlRuntime) -> None:
    """Declare the timers on ``rt.app``; they do nothing until start-up is done."""
    reported: set[str] = set()

    @rt.app.timer(rt.settings.tick_seconds)
    async def tick() -> None:
        if rt.caught_up.is_set():
            now = rt.now_epoch()
            await check_deadlines(rt, now)
            await check_expiries(rt, now)

    @rt.app.timer(rt.settings.review_seconds)
    async def review() -> None:
        if rt.caught_up.is_set():
            count_entries(rt, rt.now_epoch(), reported)
