"""After the tables are restored, rebuild what lives only in memory: deadline and expiry queues, outcomes."""

from __future__ import annotations

from streams.control.acks.deadlines import due_items
from streams.control.watchlist.logic import ACTIVE
from streams.control.worker.runtime import ControlRuntime

__all__ = ["rebuild"]


def rebuild(rt: ControlRuntime) -> None:
    """Fill the due queues and outcome figures from the restored tables (once, before any input)."""
    for did, state in rt.deliveries.items():
        for item in due_items(rt.settings.deadlines, did, state):
            rt.due.push(item)
        if state["outcome"] is not None:
            rt.stats.change(state, None, state["outcome"])
    for entry_id, entry in rt.entries.items():
        if entry["status"] == ACTIVE:
            rt.expiries.push((entry["expires_at"], entry_id, "expire"))
    regions = {s["recipient"] for s in rt.deliveries.values()}
    for region in regions:
        rates = rt.stats.rates("region", region)
        rt.metrics.interception.labels(region).set(rates["interception_rate"])
        rt.metrics.false_positive.labels(region).set(rates["false_positive_rate"])
    rt.metrics.pending_deadlines.set(len(rt.due))
    rt.rebuilt = True
