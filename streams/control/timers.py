"""The control app's timers, per inbox partition: deadline breaches (deliveries, requests), expiries.

Called from ``Processor.tick`` inside the tick's transaction: a breach is produced and its stage
recorded in the delivery's state together, and an expiry's tombstone with the entry's new status, so
each fires exactly once across restarts. A timer that fails on one item logs it and goes on (there is
no input record to dead-letter; the item comes back when the partition is next rebuilt).
"""

from __future__ import annotations

import logging

from schemas.topics import Catalogue
from streams.control.acks.deadlines import breach, with_breached
from streams.control.common import from_epoch
from streams.control.metrics import ControlMetrics
from streams.control.partition import Partition, emit
from streams.control.requests.deadlines import request_breach, with_party_breached
from streams.control.watchlist.logic import expire
from streams.runtime import Context

__all__ = ["fire_deadlines", "fire_expiries", "fire_request_deadlines"]

log = logging.getLogger(__name__)


def fire_deadlines(ctx: Context, part: Partition, cat: Catalogue, metrics: ControlMetrics) -> int:
    """Raise a breach for every answer due by ``ctx.now`` and still missing; returns how many."""
    deliveries = ctx.store("deliveries", part.scope)
    raised = 0
    for item in part.due.pop_due(ctx.now):
        state = deliveries.get(item[1])
        if state is None:
            continue
        try:
            result = breach(item, state, catalogue=cat, now=from_epoch(ctx.now))
        except Exception:
            log.exception("the breach of delivery %s (%s) could not be built", item[1], item[2])
            continue
        if result is None:
            continue
        emit(ctx, cat, result.outputs)
        deliveries[item[1]] = with_breached(state, item[2])
        notice = result.breach
        metrics.breaches.labels(notice.region, notice.stage.value).inc()
        log.warning(
            "deadline breach: region %s did not %s delivery %s of %s by %s",
            notice.region,
            notice.stage.value,
            notice.delivery_id,
            notice.owner,
            notice.due_at.isoformat(),
        )
        raised += 1
    return raised


def fire_request_deadlines(ctx: Context, part: Partition, cat: Catalogue, metrics: ControlMetrics) -> int:
    """Raise a breach for every request answer due by ``ctx.now`` and still missing; returns how many."""
    requests = ctx.store("requests", part.scope)
    raised = 0
    for item in part.request_due.pop_due(ctx.now):
        try:
            found = request_breach(item, requests, catalogue=cat, now=from_epoch(ctx.now))
        except Exception:
            log.exception("the breach of request deadline %s (%s) could not be built", item[1], item[2])
            continue
        if found is None:
            continue
        request_id, region, result = found
        emit(ctx, cat, result.outputs)
        requests[request_id] = with_party_breached(requests[request_id], region, item[2])
        metrics.breaches.labels(region, item[2]).inc()
        log.warning(
            "deadline breach: region %s did not %s request %s of %s by %s",
            region,
            item[2],
            request_id,
            result.breach.owner,
            result.breach.due_at.isoformat(),
        )
        raised += 1
    return raised


def fire_expiries(ctx: Context, part: Partition, cat: Catalogue, metrics: ControlMetrics) -> int:
    """Tombstone every active entry whose expiry has passed at ``ctx.now``; returns how many."""
    entries = ctx.store("entries", part.scope)
    expired = 0
    for _, entry_id, _ in part.expiries.pop_due(ctx.now):
        state = entries.get(entry_id)
        if state is None:
            continue
        result = expire(entry_id, state, cat, from_epoch(ctx.now))
        if result is None:  # withdrawn, or placed again with a later expiry
            continue
        emit(ctx, cat, result.outputs)
        entries[entry_id] = result.entries[entry_id]
        metrics.watchlist.labels(state["owner"], "expire").inc()
        log.info("watchlist entry %s of %s expired", entry_id, state["owner"])
        expired += 1
    return expired
