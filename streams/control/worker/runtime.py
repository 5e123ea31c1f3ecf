"""The control app's faust App and what its agents, timers and views share: tables, topics, sinks, zone.

Lifecycle: built once per process by ``build_runtime`` (before the worker starts), then driven by
faust. Tables live in memory and are restored from their changelog topics (``<app id>-<table>-changelog``)
at every start; they use the producer's partitioner (``use_partitioner``) so a key always lands in one
changelog partition, whichever topic the event that wrote it came from, and timers may write them too.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Iterable
from typing import Any, cast

import faust
from faust.types import TopicT
from prometheus_client import CollectorRegistry

from schemas.topics import TopicKind
from schemas.zone import ZoneObject
from streams.control.acks.deadlines import DueQueue
from streams.control.acks.outcomes import OutcomeStats
from streams.control.config import ControlSettings
from streams.control.metrics import ControlMetrics
from streams.control.worker.clients import aiokafka_options, faust_brokers, ssl_context
from streams.control.worker.outputs import RAW, OutputsMixin
from streams.control.worker.zone_follower import ZoneFollower

__all__ = ["ControlRuntime"]

log = logging.getLogger(__name__)
_RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}
#: Exit code when the DLQ itself cannot be written: stop rather than acknowledge a record nobody kept.
EXIT_DLQ_FAILED = 70


def _credentials(s: ControlSettings) -> faust.SASLCredentials | None:
    k = s.kafka
    if not k.security_protocol.startswith("SASL"):
        return None
    password = k.password.get_secret_value() if k.password else ""
    return faust.SASLCredentials(
        username=k.username, password=password, mechanism=k.sasl_mechanism, ssl_context=ssl_context(k)
    )


class ControlRuntime(OutputsMixin):
    """The faust App of one control-app process and its shared state."""

    def __init__(self, settings: ControlSettings, zone: ZoneObject, regions: Iterable[str]) -> None:
        self.settings = settings
        self.catalogue = cat = settings.catalogue
        self.regions = sorted(regions)
        self.registry = CollectorRegistry()
        self.metrics = ControlMetrics(self.registry)
        self.metrics.init_labels(zone.zone.codes)
        self.metrics.zone_revision.set(zone.revision)
        self.options = aiokafka_options(settings.kafka)
        self.follower = ZoneFollower(self.options, cat.zone, zone.zone.name, self._zone_changed)
        self.follower.zone = zone
        self.follower.loaded.set()
        self.app = app = faust.App(
            settings.app_id,
            broker=faust_brokers(settings.kafka),
            broker_credentials=_credentials(settings),
            store="memory://",
            datadir=settings.data_dir or tempfile.mkdtemp(prefix=f"{settings.app_id}-"),
            topic_partitions=settings.internal_partitions,
            topic_replication_factor=settings.replication_factor,
            topic_disable_leader=True,
            consumer_auto_offset_reset="earliest",
            broker_commit_interval=settings.commit_seconds,
            producer_acks=-1,
            web_enabled=True,
            web_bind=settings.web_host,
            web_host=settings.web_host,
            web_port=settings.web_port,
            table_standby_replicas=0,
            # static membership: a restarted worker takes its partitions back at once, instead of
            # waiting for the killed one's session to time out
            consumer_group_instance_id=f"{settings.app_id}-{settings.instance}",
            broker_session_timeout=settings.session_timeout_seconds,
        )
        self.inputs = {
            kind: app.topic(*[cat.in_topic(r, kind) for r in self.regions], **RAW)
            for kind in (TopicKind.ALERTS, TopicKind.WATCHLIST_COMMANDS, TopicKind.ACKS)
        }
        self.outs = app.topic(*[cat.out(r) for r in self.regions], **RAW)
        self.retries = app.topic(f"{settings.app_id}-retry", internal=True, **RAW)
        self._topics: dict[str, TopicT] = {}

        def table(name: str) -> Any:
            return app.Table(name, default=None, use_partitioner=True)  # keys str, values dicts: JSON

        self.alerts, self.threads, self.deliveries, self.entries = (
            table(n) for n in ("alerts", "threads", "deliveries", "entries")
        )
        self.recent: set[str] = set()  # delivery ids on the out topics at start (see ledger)
        self.sent: set[str] = set()  # produced by this process, not yet read back from the out topics
        self.breached: set[tuple[str, str]] = set()  # (delivery id, stage) raised by this process
        self.caught_up = asyncio.Event()
        self.due = DueQueue()
        self.expiries = DueQueue()
        self.stats = OutcomeStats()
        self.rebuilt = False
        self.missing_regions: set[str] = set()
        self.processed_offsets: dict[tuple[str, int], list[int]] = {}  # for the watchdog's skip check
        self.start_offsets: dict[tuple[str, int], int] = {}  # the group's committed offsets at start

    # ---- zone -----------------------------------------------------------------------------------
    @property
    def zone(self) -> ZoneObject:
        assert self.follower.zone is not None  # set before the worker starts
        return self.follower.zone

    def _zone_changed(self, obj: ZoneObject) -> None:
        self.metrics.zone_revision.set(obj.revision)
        self.metrics.init_labels(obj.zone.codes)
        self.missing_regions = set(obj.zone.codes) - set(self.regions)
        if self.missing_regions:
            log.error(
                "zone revision %d adds regions %s whose topics this worker does not consume: restart it",
                obj.revision,
                sorted(self.missing_regions),
            )

    # ---- state ----------------------------------------------------------------------------------
    def produced(self, delivery_id: str) -> bool:
        """True if the delivery id was produced: read back from an out topic, in the ledger, or sent now.

        Never decided from the app's other tables: a changelog write can survive a crash that lost
        the delivery it recorded.
        """
        return delivery_id in self.deliveries or delivery_id in self.recent or delivery_id in self.sent

    def ready(self) -> list[str]:
        """Why the worker is not ready yet (empty when it is)."""
        reasons = []
        if not self.caught_up.is_set():
            reasons.append("reading the delivery ledger")
        recovery = cast(Any, self.app.tables).recovery
        if not recovery.completed.is_set() or self.app.rebalancing:
            reasons.append("restoring tables / rebalancing")
        if self.missing_regions:
            reasons.append(f"restart needed for new regions {sorted(self.missing_regions)}")
        return reasons

    def now_epoch(self) -> float:
        return time.time()
