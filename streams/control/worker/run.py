"""Runs the control app in the foreground: wait for the zone, subscribe to its regions, start the worker."""

from __future__ import annotations

import asyncio
import logging

import faust
from aiokafka import AIOKafkaConsumer

from schemas.topics import TopicKind
from schemas.zone import ZoneObject
from streams.control.config import ControlSettings
from streams.control.worker.agents import register_agents
from streams.control.worker.clients import aiokafka_options
from streams.control.worker.runtime import ControlRuntime
from streams.control.worker.timers import register_timers
from streams.control.worker.web import register_views
from streams.control.worker.zone_follower import first_zone

__all__ = ["build_runtime", "run"]

log = logging.getLogger(__name__)
_KINDS = (TopicKind.ALERTS, TopicKind.WATCHLIST_COMMANDS, TopicKind.ACKS, TopicKind.OUT)


async def _existing_topics(options: dict[str, object]) -> set[str]:
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False)
    await consumer.start()
    try:
        return set(await consumer.topics())
    finally:
        await consumer.stop()


async def _prepare(settings: ControlSettings) -> ControlRuntime:
    """The runtime for the zone in force: regions whose five topics exist are served."""
    options = aiokafka_options(settings.kafka)
    cat = settings.catalogue
    zone = await first_zone(options, cat.zone, settings.zone)
    existing = await _existing_topics(options)
    regions = []
    for region in sorted(zone.zone.codes):
        names = [cat.out(region) if k == TopicKind.OUT else cat.in_topic(region, k) for k in _KINDS]
        missing = [n for n in names if n not in existing]
        if missing:
            log.error("region %s is not served: its topics %s do not exist (apply the zone)", region, missing)
        else:
            regions.append(region)
    if not regions:
        raise SystemExit(f"no region of zone {zone.zone.name} has its topics: apply the zone first")
    return build_runtime(settings, zone, regions)


def build_runtime(settings: ControlSettings, zone: ZoneObject, regions: list[str]) -> ControlRuntime:
    """The faust app with its agents, timers and views declared."""
    rt = ControlRuntime(settings, zone, regions)
    register_agents(rt)
    register_timers(rt)
    register_views(rt)
    return rt


def run(settings: ControlSettings, loglevel: str = "warning") -> None:
    """Run until SIGTERM / SIGINT (faust handles both and commits what was processed)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    rt = loop.run_until_complete(_prepare(settings))
    log.info("control app %s serving regions %s", settings.app_id, rt.regions)
    worker = faust.Worker(rt.app, loop=loop, loglevel=loglevel, quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()
