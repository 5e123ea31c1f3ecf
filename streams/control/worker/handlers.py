"""What each agent does with one record: call the pure logic, then produce and store what it decided."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from schemas.acks import FINAL_OUTCOMES
from schemas.delivery import kind_for_alert
from schemas.dlq import DlqReason, DlqStage
from schemas.topics import TopicKind
from streams.control.acks.deadlines import due_items
from streams.control.acks.logic import apply_ack, delivery_state
from streams.control.alerts.logic import process_alert
from streams.control.common import Rejected, from_epoch
from streams.control.state import DeliveryState
from streams.control.watchlist.logic import process_command
from streams.control.worker.guard import Source
from streams.control.worker.runtime import ControlRuntime

__all__ = ["STREAMS", "dispatch", "on_ack", "on_alert", "on_delivery", "on_watchlist", "remember_delivery"]

#: The stream name (a metric label) of each input topic kind.
STREAMS = {
    TopicKind.ALERTS: "alerts",
    TopicKind.WATCHLIST_COMMANDS: "watchlist",
    TopicKind.ACKS: "acks",
    TopicKind.OUT: "deliveries",
}


def dispatch(
    rt: ControlRuntime, source: Source, key: bytes | None, value: bytes | None, timestamp: float | None
) -> Callable[[], Awaitable[str]]:
    """The handler of one record of ``source.stream``, ready for ``guard``."""
    if source.stream == "alerts":
        return lambda: on_alert(rt, source, value, timestamp)
    if source.stream == "watchlist":
        return lambda: on_watchlist(rt, source, value)
    if source.stream == "acks":
        return lambda: on_ack(rt, source, value)
    return lambda: on_delivery(rt, source, key, value)


def remember_delivery(rt: ControlRuntime, did: str, state: DeliveryState) -> None:
    """Store a delivery and schedule the answers it is owed."""
    rt.deliveries[did] = state
    for item in due_items(rt.settings.deadlines, did, state):
        rt.due.push(item)
    rt.metrics.pending_deadlines.set(len(rt.due))


async def on_alert(rt: ControlRuntime, source: Source, value: bytes | None, timestamp: float | None) -> str:
    now = rt.now_epoch()
    result = process_alert(
        value,
        source.region,
        zone=rt.zone.zone,
        catalogue=rt.catalogue,
        now=from_epoch(now),
        messages=rt.alerts,
        threads=rt.threads,
        produced=rt.produced,
    )
    if result.duplicate:
        return "duplicate"
    await rt.emit(result.outputs)
    for key, message in result.messages.items():
        rt.alerts[key] = message
    for key, thread in result.threads.items():
        rt.threads[key] = thread
    assert result.alert is not None  # decoded, or process_alert raised
    kind = kind_for_alert(result.alert).value
    for region in result.delivered:
        rt.metrics.deliveries.labels(region, kind).inc()
    for decision in result.refused:
        rt.metrics.refusals.labels(decision.region, decision.reason.value).inc()
    if timestamp is not None:
        rt.metrics.alert_latency.observe(max(0.0, time.time() - timestamp))
    return "ok"


async def on_watchlist(rt: ControlRuntime, source: Source, value: bytes | None) -> str:
    result = process_command(
        value, source.region, catalogue=rt.catalogue, now=from_epoch(rt.now_epoch()), entries=rt.entries
    )
    if result.duplicate:
        return "duplicate"
    await rt.emit(result.outputs, wait=True)  # the entry exists on rax.watchlist before its state does
    for entry_id, state in result.entries.items():
        rt.entries[entry_id] = state
        rt.expiries.push((state["expires_at"], entry_id, "expire"))
    rt.metrics.watchlist.labels(source.region, result.op).inc()
    return "ok"


async def on_delivery(rt: ControlRuntime, source: Source, key: bytes | None, value: bytes | None) -> str:
    did = key.decode(errors="replace") if key is not None else ""
    rt.sent.discard(did)  # read back: from now on the table knows it
    if did in rt.deliveries:
        return "duplicate"
    delivery, state = delivery_state(value)
    if delivery.recipient != source.region:
        raise Rejected(
            DlqReason.REGION_MISMATCH,
            DlqStage.VALIDATE,
            f"a delivery to region {delivery.recipient} on the out topic of region {source.region}",
        )
    remember_delivery(rt, delivery.delivery_id, state)
    if delivery.breach is not None:  # a breach we raised before a restart: the stage is answered for
        breached = rt.deliveries.get(delivery.breach.delivery_id)
        if breached is not None and delivery.breach.stage.value not in breached["breached"]:
            rt.deliveries[delivery.breach.delivery_id] = {
                **breached,
                "breached": [*breached["breached"], delivery.breach.stage.value],
            }
    return "ok"


async def on_ack(rt: ControlRuntime, source: Source, value: bytes | None) -> str:
    result = apply_ack(value, source.region, rt.deliveries)
    if result.state is None:
        return "duplicate"
    rt.deliveries[result.delivery_id] = result.state
    region = result.state["recipient"]
    rt.metrics.acks.labels(region, result.ack.outcome.value).inc()
    if result.seconds_to_acknowledge is not None:
        rt.metrics.time_to_acknowledge.labels(region).observe(result.seconds_to_acknowledge)
    if result.ack.outcome in FINAL_OUTCOMES:
        rt.stats.change(result.state, result.previous_outcome, result.state["outcome"])
        rates = rt.stats.rates("region", region)
        rt.metrics.interception.labels(region).set(rates["interception_rate"])
        rt.metrics.false_positive.labels(region).set(rates["false_positive_rate"])
    return "ok"
