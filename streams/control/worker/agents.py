"""The thin faust agents of the control app (``concurrency=1``), its start-up task and its retry agent.

Every agent waits until start-up is done (tables restored, state rebuilt, ledger read), then hands each
record to ``guard`` with its handler, so no exception ever escapes an agent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, cast

from faust.types import StreamT

from schemas.topics import TopicKind
from streams.control.worker.guard import Headers, Source, guard, source_from_retry
from streams.control.worker.handlers import STREAMS, dispatch
from streams.control.worker.ledger import recent_delivery_ids
from streams.control.worker.rebuild import rebuild
from streams.control.worker.replay import replay_before_committed
from streams.control.worker.runtime import ControlRuntime
from streams.control.worker.watchdog import watch

__all__ = ["register_agents"]

log = logging.getLogger(__name__)


def _headers(raw: Any) -> Headers:
    items = raw.items() if hasattr(raw, "items") else (raw or ())
    return [(str(k), v if isinstance(v, bytes) else str(v).encode()) for k, v in items]


def register_agents(rt: ControlRuntime) -> None:
    """Declare the agents, the retry agent and the start-up task on ``rt.app``."""
    app = rt.app

    async def consume(stream: StreamT[Any]) -> None:
        async for event in stream.events():
            await rt.caught_up.wait()
            m = event.message
            parsed = rt.catalogue.parse_region_topic(m.topic)
            assert parsed is not None  # only per-region topics are subscribed
            region, kind = parsed
            source = Source(STREAMS[kind], m.topic, m.partition, m.offset, region)
            record = (m.key, m.value, _headers(m.headers))
            handler = dispatch(rt, source, m.key, m.value, m.timestamp)
            await guard(rt, rt.metrics, source, record, handler, rt.settings.retries)
            if kind != TopicKind.OUT:  # inputs that no transaction marker interleaves: checked for skips
                rt.processed_offsets.setdefault((m.topic, m.partition), []).append(m.offset)

    for kind, topic in rt.inputs.items():
        app.agent(topic, name=f"control-{STREAMS[kind]}", concurrency=1)(consume)
    app.agent(rt.outs, name="control-deliveries", concurrency=1)(consume)

    async def retried(stream: StreamT[Any]) -> None:
        async for event in stream.events():
            await rt.caught_up.wait()
            m = event.message
            source, not_before, own = source_from_retry(_headers(m.headers))
            await asyncio.sleep(max(0.0, not_before - time.time()))
            record = (m.key, m.value, own)
            handler = dispatch(rt, source, m.key, m.value, None)
            await guard(rt, rt.metrics, source, record, handler, rt.settings.retries)

    app.agent(rt.retries, name="control-retry", concurrency=1)(retried)

    @app.task
    async def start_up() -> None:
        await cast(Any, app.tables).recovery.completed.wait()
        rebuild(rt)
        out_topics = [rt.catalogue.out(r) for r in rt.regions]
        rt.recent = await recent_delivery_ids(rt.options, rt.settings.app_id, out_topics)
        await replay_before_committed(rt, rt.settings.replay_margin)
        rt.caught_up.set()
        log.info("control app ready: %d regions, %d deliveries known", len(rt.regions), len(rt.deliveries))

    @app.task
    async def follow_zone() -> None:
        await rt.follower.run()

    @app.task
    async def watch_progress() -> None:
        await rt.caught_up.wait()
        kinds = (TopicKind.ALERTS, TopicKind.WATCHLIST_COMMANDS, TopicKind.ACKS)
        topics = [rt.catalogue.in_topic(r, k) for r in rt.regions for k in kinds]
        topics += [rt.catalogue.out(r) for r in rt.regions]
        await watch(
            rt.options,
            rt.settings.app_id,
            topics,
            rt.metrics,
            rt.processed_offsets,
            rt.settings.stall_seconds,
            rt.start_offsets,
        )
