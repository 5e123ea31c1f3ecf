"""The control app as a runtime processor: intake re-keys the regions' records into the inbox, decide acts.

Lifecycle: built by ``rax run control`` and run by ``streams.runtime.StreamLoop``. ``start`` loads the
zone (a global table) and waits for one; the loop then hands it batches mixing both stages:

* records of ``rax.in.<r>.alerts|watchlist|acks`` (regex subscriptions: new regions are picked up
  without a restart) are forwarded, undecoded, to the inbox keyed by what the state is keyed by
  (``intake``);
* records of the inbox are decided against the stores of their inbox partition (``decide``); the
  deliveries made (ours, and the hot path's) come back through the inbox, keyed by delivery id.

Outputs, dead letters, store changes and input offsets of a batch are one transaction (the runtime's);
``tick`` fires deadlines, expiries and parked alerts of every assigned inbox partition in the same way.
Everything derived from the stores (timer heaps, outcome counts) is rebuilt in ``assigned`` and dropped
in ``revoked``; metrics and web snapshots are updated in the loop thread only.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import KafkaException, Message
from prometheus_client import CollectorRegistry

from schemas.dlq import DlqReason, DlqStage
from schemas.inbox import InboxKind
from schemas.topics import TopicKind
from schemas.zone import ZoneObject
from streams.control.common import Rejected, from_epoch
from streams.control.config import ControlSettings
from streams.control.decide import Decider
from streams.control.envelope import direct
from streams.control.intake import forward
from streams.control.metrics import ControlMetrics
from streams.control.partition import STORES, Partition
from streams.control.retention import Retention
from streams.control.timers import fire_deadlines, fire_expiries, fire_request_deadlines
from streams.control.views import Views
from streams.control.watchlist.partials import PartialCounts
from streams.control.zone import ZoneState
from streams.runtime import ClientFactory, Context, GlobalTables, InRecord, Scope, Stores, StoreSpec
from streams.runtime.at_rest import rest_protection

__all__ = ["ControlProcessor"]

log = logging.getLogger(__name__)


class ControlProcessor:
    """Alerts with Update/Cancel, the watchlist lifecycle, acks, outcomes and deadlines (name ``control``)."""

    name = "control"

    def __init__(
        self, settings: ControlSettings, factory: ClientFactory, registry: CollectorRegistry | None = None
    ) -> None:
        self.settings = settings
        self.cat = settings.catalogue
        self.metrics = ControlMetrics(registry or CollectorRegistry())
        self.zone = ZoneState(settings.zone, self._zone_changed)
        self.partials = PartialCounts()  # active partial entries per owner, from rax.watchlist
        self.decider = Decider(settings, self.metrics, lambda: self.zone.zone, self.partials)
        self.views_ = Views(self.metrics)
        self._factory = factory
        self._tables: GlobalTables | None = None
        self._parts: dict[Scope, Partition] = {}
        self._direct: dict[str, str] = {}  # single-partition alerts topic -> its region
        self._forwarded: set[str] = set()
        self._views_at = 0.0
        self._review_at = 0.0
        self.retention = Retention(settings.retention)

    # ---- the zone ------------------------------------------------------------------------------
    def _zone_changed(self, obj: ZoneObject) -> None:
        self.metrics.zone_revision.set(obj.revision)
        self.metrics.init_labels(sorted(obj.zone.codes))

    def start(self) -> None:
        inbox = self.cat.control_inbox
        meta = self._factory.admin().list_topics(inbox, timeout=30).topics.get(inbox)
        if meta is None or meta.error is not None:
            raise RuntimeError(f"topic {inbox} does not exist: apply the zone (`rax zone apply`) first")
        self._tables = GlobalTables(
            self._factory,
            [self.cat.zone, self.cat.watchlist],
            self._apply_table,
            f"{self.cat.processor_prefix}{self.name}-tables",  # never joined: plain assignment
            rest_protection(self.settings.runtime.rest_key, self.cat),  # rax.watchlist sealed at rest
        )
        self._tables.load()
        deadline = time.monotonic() + self.settings.zone_wait_s
        while self.zone.zone is None:
            if time.monotonic() > deadline:
                name = f" {self.settings.zone}" if self.settings.zone else ""
                raise RuntimeError(f"no zone{name} on {self.cat.zone}: apply one with `rax zone apply`")
            log.warning("waiting for a zone on %s (apply one with `rax zone apply`)", self.cat.zone)
            self._tables.poll(1000, 1.0)

    def _apply_table(self, msg: Message) -> None:
        if msg.topic() == self.cat.watchlist:
            self.partials.apply(msg.key(), msg.value())
        else:
            self.zone.apply(msg.key(), msg.value())

    def between_batches(self) -> None:
        if self._tables is not None:
            self._tables.poll()
        now = time.monotonic()
        if self.decider.outcomes_changed and now - self._views_at >= self.settings.views_s:
            self._views_at = now
            self.decider.outcomes_changed = False
            self.views_.refresh_outcomes(p.stats for p in self._parts.values())

    def not_ready(self) -> list[str]:
        return [] if self.zone.zone is not None else ["no zone loaded (apply one: rax zone apply)"]

    # ---- subscription, stores, partitions ------------------------------------------------------
    def topics(self) -> list[str]:
        kinds = (TopicKind.ALERTS, TopicKind.WATCHLIST_COMMANDS, TopicKind.ACKS, TopicKind.REQUESTS)
        return [*(self.cat.in_pattern(k) for k in kinds), self.cat.control_inbox]

    def store_specs(self) -> list[StoreSpec]:
        inbox = self.cat.control_inbox
        return [StoreSpec(name, lambda topic: topic == inbox or self._is_alerts(topic)) for name in STORES]

    def _is_alerts(self, topic: str) -> bool:
        parsed = self.cat.parse_region_topic(topic)
        return parsed is not None and parsed[1] == TopicKind.ALERTS

    def assigned(self, scope: Scope, stores: Stores) -> None:
        if self._is_alerts(scope[0]):
            self._classify(scope[0])
        if scope[0] == self.cat.control_inbox or scope[0] in self._direct:
            self._parts[scope] = Partition.rebuild(scope, stores, self.settings.deadlines)
            self.decider.outcomes_changed = True
            self._review_at = 0.0  # count the entries it brought at the next tick

    def _classify(self, topic: str) -> None:
        """A region's alerts topic of one partition holds every thread of the region in order: its alerts
        are decided where they are read (one transaction, no inbox hop). One of several partitions (a
        zone applied before this was the rule) spreads a thread over them: forwarded to the inbox."""
        if topic in self._direct or topic in self._forwarded:
            return
        try:
            meta = self._factory.admin().list_topics(topic, timeout=10).topics.get(topic)
        except KafkaException as exc:
            log.warning("cannot read the metadata of %s (%s): its alerts go through the inbox", topic, exc)
            meta = None
        parsed = self.cat.parse_region_topic(topic)
        if meta is not None and meta.error is None and len(meta.partitions) == 1 and parsed is not None:
            self._direct[topic] = parsed[0]
        else:
            self._forwarded.add(topic)

    def revoked(self, scope: Scope) -> None:
        if self._parts.pop(scope, None) is not None:
            self.decider.outcomes_changed = True

    def _part(self, topic: str, partition: int | None, stores: Stores) -> Partition:
        scope = (topic, partition or 0)
        part = self._parts.get(scope)
        if part is None:  # the runtime assigns before it hands records over; never trust it blindly
            part = self._parts[scope] = Partition.rebuild(scope, stores, self.settings.deadlines)
        return part

    # ---- batches -------------------------------------------------------------------------------
    def process(self, batch: Sequence[InRecord], ctx: Context) -> None:
        inbox = self.cat.control_inbox
        for rec in batch:
            topic = rec.topic() or ""
            if topic == inbox:
                self.decider.decide(rec, ctx, self._part(inbox, rec.partition(), ctx.stores))
            elif topic in self._direct:
                part = self._part(topic, rec.partition(), ctx.stores)
                self.decider.decide(rec, ctx, part, direct(rec, InboxKind.ALERT.value, self._direct[topic]))
            else:
                self._intake(rec, ctx)

    def _intake(self, rec: InRecord, ctx: Context) -> None:
        stream = (rec.topic() or "").rsplit(".", 1)[-1]  # alerts | watchlist | acks | requests
        try:
            _, out = forward(rec, self.cat, ctx.now)
        except Rejected as exc:
            self.decider.reject(ctx, stream, rec, exc.reason, exc.stage, str(exc))
            return
        except Exception as exc:
            log.exception("forwarding %s[%s]@%s failed", rec.topic(), rec.partition(), rec.offset())
            error = f"{type(exc).__name__}: {exc}"
            self.decider.reject(ctx, stream, rec, DlqReason.PROCESSING_ERROR, DlqStage.PROCESS, error)
            return
        ctx.out.append(out)

    # ---- timers --------------------------------------------------------------------------------
    def tick(self, ctx: Context) -> None:
        for part in list(self._parts.values()):
            fire_deadlines(ctx, part, self.cat, self.metrics)
            fire_request_deadlines(ctx, part, self.cat, self.metrics)
            fire_expiries(ctx, part, self.cat, self.metrics)
            self.decider.expire_parked(ctx, part)
        forgotten = self.retention.tick(ctx, self._parts)
        for store, count in forgotten.items():
            self.metrics.forgotten.labels(store).inc(count)
        if forgotten["deliveries"]:
            self.decider.outcomes_changed = True
        self.metrics.pending_deadlines.set(sum(len(p.due) + len(p.request_due) for p in self._parts.values()))
        self.metrics.parked.set(sum(len(ctx.store("parked", s)) for s in self._parts))
        if ctx.now - self._review_at >= self.settings.review_s:
            self._review_at = ctx.now
            entries = itertools.chain.from_iterable(ctx.store("entries", s).items() for s in self._parts)
            codes = self.zone.zone.codes if self.zone.zone is not None else frozenset()
            self.views_.refresh_review(entries, from_epoch(ctx.now), codes)

    # ---- web and end ---------------------------------------------------------------------------
    def views(self) -> dict[str, Callable[[], Any]]:
        return {"/outcomes": lambda: self.views_.outcomes, "/watchlist/review": lambda: self.views_.review}

    def close(self) -> None:
        if self._tables is not None:
            self._tables.close()
