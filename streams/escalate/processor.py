"""The escalate processor on the stream runtime: reads and matches re-keyed by plate, rules, operations.

Lifecycle: built by ``rax run escalate`` and run by ``streams.runtime.StreamLoop``. ``start`` loads the
zone (a global table). The loop hands it batches mixing two stages:

* records of ``rax.in.<r>.hits`` (a regex subscription) and ``rax.matches`` are decoded and forwarded
  as compact reads to ``Catalogue.escalate_inbox`` keyed by plate, so every read of one plate, from any
  region, reaches one partition (only what a declared rule needs is forwarded);
* records of the inbox go through ``rules.observe`` against the plate's state in the partition's
  ``vehicles`` store; a firing opens an operation, delivered and audited by ``operations.deliver``.

Outputs, store changes and input offsets of a batch are one transaction (the runtime's), so a restart
fires nothing twice. ``tick`` deletes plates whose reads left every window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from confluent_kafka import Message
from prometheus_client import CollectorRegistry

from schemas.codec import DecodeError, decode
from schemas.escalation import CheckpointSite, EscalationRules
from schemas.topics import Catalogue, TopicKind
from schemas.zone import Zone, ZoneObject
from streams.escalate.config import EscalateSettings
from streams.escalate.intake import Skipped, take_in
from streams.escalate.metrics import EscalateMetrics, escalate_metrics
from streams.escalate.operations import build_operation, deliver
from streams.escalate.rules import VehicleState, horizon_s, observe
from streams.escalate.seen import Seen
from streams.runtime import ClientFactory, Context, GlobalTables, InRecord, Scope, Stores, StoreSpec

__all__ = ["EscalateProcessor"]

log = logging.getLogger(__name__)

_STORE = "vehicles"


class EscalateProcessor:
    """Escalation rules over every region's reads and matches, keyed by plate (name ``escalate``)."""

    name = "escalate"

    def __init__(
        self, settings: EscalateSettings, factory: ClientFactory, registry: CollectorRegistry | None = None
    ) -> None:
        self.settings = settings
        self.cat = Catalogue(settings.runtime.namespace)
        self.metrics: EscalateMetrics = escalate_metrics(registry or CollectorRegistry())
        self.zone: Zone | None = None
        self.zone_revision = 0
        self.sites: dict[str, CheckpointSite] = {}
        self._factory = factory
        self.tables: GlobalTables | None = None  # opened by start: a processor under test needs no broker
        self._scopes: set[Scope] = set()
        self._swept_at = 0.0

    # ---- the zone ------------------------------------------------------------------------------
    def _apply(self, msg: Message) -> None:
        value = msg.value()
        if value is None:
            return
        try:
            obj = decode(value, ZoneObject)
        except DecodeError as exc:
            raise ValueError(str(exc)) from exc
        if obj.revision >= self.zone_revision or self.zone is None:
            self.use_zone(obj.zone, obj.revision)

    def use_zone(self, zone: Zone, revision: int) -> None:
        """Switch to ``zone`` (its rules and checkpoint sites)."""
        self.zone, self.zone_revision = zone, revision
        rules = zone.escalation
        self.sites = {s.checkpoint_id: s for s in rules.checkpoints} if rules else {}

    @property
    def rules(self) -> EscalationRules | None:
        return self.zone.escalation if self.zone is not None else None

    def start(self) -> None:
        inbox = self.cat.escalate_inbox
        meta = self._factory.admin().list_topics(inbox, timeout=30).topics.get(inbox)
        if meta is None or meta.error is not None:
            raise RuntimeError(f"topic {inbox} does not exist: apply the zone (`rax zone apply`) first")
        tables_group = f"{self.cat.processor_prefix}{self.name}-tables"  # never joined: plain assignment
        self.tables = GlobalTables(self._factory, [self.cat.zone], self._apply, tables_group)
        self.tables.load()
        log.info("zone revision %d loaded; escalation rules: %s", self.zone_revision, self.rules)

    def between_batches(self) -> None:
        if self.tables is not None:
            self.tables.poll()

    def not_ready(self) -> list[str]:
        return [] if self.zone is not None else ["no zone loaded (apply one: rax zone apply)"]

    # ---- subscription, stores, partitions ------------------------------------------------------
    def topics(self) -> list[str]:
        return [self.cat.in_pattern(TopicKind.HITS), self.cat.matches, self.cat.escalate_inbox]

    def store_specs(self) -> list[StoreSpec]:
        inbox = self.cat.escalate_inbox
        return [StoreSpec(_STORE, lambda topic: topic == inbox)]

    def assigned(self, scope: Scope, stores: Stores) -> None:
        if scope[0] == self.cat.escalate_inbox:
            self._scopes.add(scope)

    def revoked(self, scope: Scope) -> None:
        self._scopes.discard(scope)

    # ---- batches -------------------------------------------------------------------------------
    def process(self, batch: Sequence[InRecord], ctx: Context) -> None:
        inbox = self.cat.escalate_inbox
        for rec in batch:
            topic = rec.topic() or ""
            if topic == inbox:
                self._decide(rec, ctx)
            else:
                self._take_in(rec, ctx)

    def _skip(self, ctx: Context, reason: str) -> None:
        ctx.after_commit(lambda: self.metrics.skipped.labels(reason).inc())

    def _take_in(self, rec: InRecord, ctx: Context) -> None:
        try:
            out = take_in(rec, self.cat, self.rules)
        except Skipped as exc:
            return self._skip(ctx, str(exc))
        if out is not None:
            ctx.out.append(out)

    def _decide(self, rec: InRecord, ctx: Context) -> None:
        rules, zone = self.rules, self.zone
        if rules is None or zone is None:
            return self._skip(ctx, "no_rules")
        seen = Seen.from_row(orjson.loads(rec.value() or b"[]"))
        store = ctx.store(_STORE, (rec.topic() or "", rec.partition() or 0))
        state = VehicleState.from_json(store.get(seen.plate))
        firings = observe(state, seen, rules, self.sites)
        store[seen.plate] = state.to_json()
        now = datetime.fromtimestamp(ctx.now, UTC)
        for firing in firings:
            op = build_operation(firing, zone, rules, now)
            out, refusals = deliver(self.cat, zone, op, now)
            ctx.out.extend(out)
            delay = max(0.0, ctx.now - firing.evidence[-1].t)
            log.info("operation %s opened by %s on %s", op.operation_id, op.trigger.value, op.regions)
            ctx.after_commit(self._counter(op.trigger.value, refusals, delay))

    def _counter(self, trigger: str, refusals: dict[str, int], delay: float) -> Callable[[], None]:
        def count() -> None:
            self.metrics.operations.labels(trigger).inc()
            self.metrics.read_to_escalation.observe(delay)
            for reason, n in refusals.items():
                self.metrics.refusals.labels(reason).inc(n)

        return count

    # ---- timers --------------------------------------------------------------------------------
    def tick(self, ctx: Context) -> None:
        rules = self.rules
        if rules is None or ctx.now - self._swept_at < self.settings.sweep_s:
            return
        self._swept_at = ctx.now
        cutoff = ctx.now - horizon_s(rules)
        for scope in list(self._scopes):
            store = ctx.store(_STORE, scope)
            for plate, value in list(store.items()):
                state = VehicleState.from_json(value)
                if max(state.newest, *state.fired.values(), 0.0) < cutoff:
                    store.delete(plate)

    # ---- web and end ---------------------------------------------------------------------------
    def views(self) -> dict[str, Callable[[], Any]]:
        return {}

    def close(self) -> None:
        if self.tables is not None:
            self.tables.close()
