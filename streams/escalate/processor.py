"""The escalate processor on the stream runtime: reads and matches re-keyed by plate, rules, operations.

Lifecycle: built by ``rax run escalate`` and run by ``streams.runtime.StreamLoop``. ``start`` loads the
zone (a global table). The loop hands it batches mixing two stages:

* records of ``rax.in.<r>.hits`` (a regex subscription) and ``rax.matches`` are decoded and forwarded
  as compact reads to ``Catalogue.escalate_inbox`` keyed by plate, so every read of one plate, from any
  region, reaches one partition (only what a declared rule needs is forwarded);
* records of the inbox go through ``rules.observe`` against the plate's state in the partition's
  ``vehicles`` store; a firing opens an operation, delivered and audited by ``operations.deliver``,
  and forwarded to the inbox keyed by its id, to be kept in the ``operations`` store there;
* matches are also forwarded keyed by checkpoint for the convoy rule (d): ``convoy.pass_by`` in the
  ``passes`` store pairs watchlisted vehicles passing within seconds, each pair forwarded keyed by the
  two plates, where ``convoy.together`` in the ``convoys`` store fires when they share enough checkpoints;
* the owners' temporary agreements for their operations (``temporary``) meet the operation in its
  partition and are forwarded to the partitions of its plates, where a match on the plate then also goes
  to the operation's members under it;
* the owners' close commands (``rax.in.<r>.operations``) are forwarded to the same partition and
  decided by ``closing.close``; each end is counted per rule and outcome in the ``outcomes`` store.

Outputs, store changes and input offsets of a batch are one transaction (the runtime's), so a restart
fires nothing twice. ``tick`` deletes plates whose reads left every window and expires operations.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

import orjson
from confluent_kafka import Message
from prometheus_client import CollectorRegistry

from schemas.codec import decode
from schemas.dlq import DlqStage
from schemas.escalation import CheckpointSite, EscalationRules
from schemas.matching import Match
from schemas.operation import OperationClose, TemporaryAgreement
from schemas.topics import Catalogue, TopicKind
from schemas.zone import Zone
from streams.escalate.closing import (
    EXPIRED,
    KIND_HEADER,
    CloseRefused,
    Kept,
    close,
    closing_deliveries,
    count_key,
    expired,
    hit_rates,
    kept_record,
)
from streams.escalate.config import EscalateSettings
from streams.escalate.convoy import Pair, Passes, pair_key, pass_by, pass_key, sweep_convoys, together
from streams.escalate.geo import Sites
from streams.escalate.intake import (
    AGREE,
    MATCH_HEADER,
    PASS,
    TOGETHER,
    Rejected,
    Skipped,
    Taken,
    original,
    partition_of,
    take,
    take_command,
    together_record,
)
from streams.escalate.metrics import EscalateMetrics, escalate_metrics
from streams.escalate.operations import build_operation, deliver
from streams.escalate.rules import VEHICLE_CODEC, Firing, VehicleState, horizon_s
from streams.escalate.seen import Seen
from streams.escalate.temporary import TEMP, InForce, accept, end_records, flow, flow_outputs, plate_records
from streams.escalate.vehicles import READS, VEHICLES, Vehicles, log_state
from streams.runtime import ClientFactory, Context, GlobalTables, InRecord, Scope, Stores, StoreSpec
from streams.runtime.tables import newer_zone

__all__ = ["EscalateProcessor"]

log = logging.getLogger(__name__)

_OPS, _OUTCOMES = "operations", "outcomes"
_PASSES, _CONVOYS = "passes", "convoys"  # the convoy rule's: keyed by checkpoint, and by pair


def _not_blind(firing: Firing) -> bool:
    return False  # a convoy: its evidence (both plates' matches) says whether it is blind


class EscalateProcessor:
    """Escalation rules over every region's reads and matches, keyed by plate (name ``escalate``)."""

    name = "escalate"

    def __init__(
        self, settings: EscalateSettings, factory: ClientFactory, registry: CollectorRegistry | None = None
    ) -> None:
        self.settings = settings
        self.cat = Catalogue(settings.runtime.namespace)
        self._inbox = self.cat.escalate_inbox  # asked per read: formatted once
        self.metrics: EscalateMetrics = escalate_metrics(registry or CollectorRegistry())
        self.zone: Zone | None = None
        self.zone_revision = 0
        self.sites: dict[str, CheckpointSite] = Sites({})
        self._factory = factory
        self.tables: GlobalTables | None = None  # opened by start: a processor under test needs no broker
        self._scopes: set[Scope] = set()
        self._stores: Stores | None = None
        self._swept_at = 0.0
        self.inbox_partitions: int | None = None  # learnt by start: None forwards every read
        self.outcomes: dict[str, Any] = hit_rates([])  # a snapshot the web thread reads whole
        self.vehicles = Vehicles()

    # ---- the zone ------------------------------------------------------------------------------
    def _apply(self, msg: Message) -> None:
        obj = newer_zone(msg.value(), None if self.zone is None else self.zone_revision)
        if obj is not None:
            self.use_zone(obj.zone, obj.revision)

    def use_zone(self, zone: Zone, revision: int) -> None:
        """Switch to ``zone`` (its rules and checkpoint sites)."""
        self.zone, self.zone_revision = zone, revision
        rules = zone.escalation
        self.sites = Sites({s.checkpoint_id: s for s in rules.checkpoints} if rules else {})

    @property
    def rules(self) -> EscalationRules | None:
        return self.zone.escalation if self.zone is not None else None

    def start(self) -> None:
        inbox = self.cat.escalate_inbox
        meta = self._factory.admin().list_topics(inbox, timeout=30).topics.get(inbox)
        if meta is None or meta.error is not None:
            raise RuntimeError(f"topic {inbox} does not exist: apply the zone (`rax zone apply`) first")
        self.inbox_partitions = len(meta.partitions)
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
        kinds = (TopicKind.HITS, TopicKind.OPERATIONS)
        return [*(self.cat.in_pattern(k) for k in kinds), self.cat.matches, self.cat.escalate_inbox]

    def store_specs(self) -> list[StoreSpec]:
        inbox = self.cat.escalate_inbox
        specs = [StoreSpec(VEHICLES, lambda topic: topic == inbox, VEHICLE_CODEC)]
        specs += [
            StoreSpec(name, lambda topic: topic == inbox)
            for name in (_OPS, _OUTCOMES, _PASSES, _CONVOYS, READS)
        ]
        return specs

    def assigned(self, scope: Scope, stores: Stores) -> None:
        if scope[0] == self.cat.escalate_inbox:
            self._scopes.add(scope)
            self._stores = stores
            self.vehicles.assigned(scope, stores, time.time(), self.rules)
            self._refresh()

    def revoked(self, scope: Scope) -> None:
        self._scopes.discard(scope)
        self.vehicles.revoked(scope)
        self._refresh()

    def _refresh(self) -> None:
        """The outcome counts and open operations of this worker's partitions (in the loop thread)."""
        if self._stores is None:
            return
        scopes = sorted(self._scopes)
        self.outcomes = hit_rates(self._stores.get(_OUTCOMES, s) for s in scopes)
        opened = sum(1 for s in scopes for v in self._stores.get(_OPS, s).values() if v["closure"] is None)
        self.metrics.open.set(opened)

    # ---- batches -------------------------------------------------------------------------------
    def process(self, batch: Sequence[InRecord], ctx: Context) -> None:
        inbox = self.cat.escalate_inbox
        for rec in batch:
            topic = rec.topic() or ""
            if topic == inbox:
                kind = next((v for k, v in rec.headers() or () if k == KIND_HEADER), None)
                if kind is None:
                    self._decide(rec, ctx)
                elif kind == b"opened":
                    self._keep(rec, ctx)
                elif kind == b"close":
                    self._close(rec, ctx)
                elif kind == AGREE:
                    self._agree(rec, ctx)
                elif kind == TEMP:
                    self._temp(rec, ctx)
                elif kind == PASS:
                    self._pass(rec, ctx)
                elif kind == TOGETHER:
                    self._together(rec, ctx)
                else:  # written by a newer version of this processor: left for it
                    self._skip(ctx, "unknown_inbox_kind")
            elif (parsed := self.cat.parse_region_topic(topic)) and parsed[1] == TopicKind.OPERATIONS:
                self._take_command(rec, parsed[0], ctx)
            else:
                self._take_in(rec, ctx)

    def _skip(self, ctx: Context, reason: str) -> None:
        ctx.after_commit(lambda: self.metrics.skipped.labels(reason).inc())

    def _take_in(self, rec: InRecord, ctx: Context) -> None:
        try:
            taken = take(rec, self.cat, self.rules, self.sites if self.zone is not None else None)
        except Skipped as exc:
            return self._skip(ctx, str(exc))
        for t in taken:
            self._route(t, ctx)

    def _route(self, t: Taken, ctx: Context) -> None:
        """Decide ``t`` now if this worker holds its inbox partition (in this transaction, on that
        partition's store: one hop less), else forward it there."""
        # the key as the inbox holds it (its token when sealed at rest), so that a read decided here and
        # one the partitioner places land in one partition
        inbox = self._inbox
        part = self.inbox_partition(ctx.wire_key(inbox, t.key))
        scope = (inbox, part) if part is not None else None
        if scope is None or scope not in self._scopes:
            ctx.out.append(t.record(self.cat, part))
        elif t.kind is None:
            self._observe(t.seen, t.match, scope, ctx)
        else:  # PASS
            self._pass_seen(t.seen, scope, ctx)

    def inbox_partition(self, key: bytes) -> int | None:
        """The inbox partition of ``key``; None before ``start`` learnt the inbox's partition count."""
        return None if self.inbox_partitions is None else partition_of(key, self.inbox_partitions)

    def _decide(self, rec: InRecord, ctx: Context) -> None:
        seen = Seen.from_row(orjson.loads(rec.value() or b"[]"))
        match = next((v for k, v in rec.headers() or () if k == MATCH_HEADER), None)
        self._observe(seen, match, (rec.topic() or "", rec.partition() or 0), ctx)

    def _observe(self, seen: Seen, match: bytes | None, scope: Scope, ctx: Context) -> None:
        """Stage 2 of one read: the plate's rules against its state in ``scope``'s store."""
        rules, zone = self.rules, self.zone
        if rules is None or zone is None:
            return self._skip(ctx, "no_rules")
        state, firings = self.vehicles.observe(seen, scope, ctx, rules, self.sites)
        if seen.is_match and state.agreements:
            self._flow(match, state, zone, ctx)
        if firings:  # a plate a blind entry matched: whatever it opens (a clone too) is sealed to everyone
            self._open(firings, zone, rules, ctx, blind=state.blind)

    def _flow(self, raw: bytes | None, state: VehicleState, zone: Zone, ctx: Context) -> None:
        """A match on a plate under operations' temporary agreements: to their members too."""
        if raw is None:
            return self._skip(ctx, "match_missing")  # forwarded by an older version of this processor
        match = decode(raw, Match)
        now = datetime.fromtimestamp(ctx.now, UTC)
        in_force = [InForce.from_json(a) for a in state.agreements.values()]
        for a in in_force:
            out = flow_outputs(self.cat, zone, match, flow(zone, match, [a], now), a.operation_id, now)
            ctx.out.extend(out)
            sent = sum(1 for o in out if o.topic.startswith(self.cat.out_prefix))  # not those failed closed
            if sent:
                ctx.after_commit(partial(self.metrics.temporary_deliveries.inc, sent))

    def _open(
        self,
        firings: list[Firing],
        zone: Zone,
        rules: EscalationRules,
        ctx: Context,
        blind: Callable[[Firing], bool] = _not_blind,
    ) -> None:
        """Open an operation per firing; ``blind`` says whether one is on a blind entry's plate (a blind
        match among its evidence makes it blind whatever ``blind`` says)."""
        now = datetime.fromtimestamp(ctx.now, UTC)
        for firing in firings:
            op = build_operation(firing, zone, rules, now, blind(firing))
            out, refusals = deliver(self.cat, zone, op, now)
            ctx.out.extend(out)
            ctx.out.append(kept_record(self.cat, op, out, ctx.now))
            delay = max(0.0, ctx.now - firing.evidence[-1].t)
            since_first = max(0.0, ctx.now - firing.evidence[0].t)
            log.info("operation %s opened by %s on %s", op.operation_id, op.trigger.value, op.regions)
            ctx.after_commit(self._counter(op.trigger.value, refusals, delay, since_first))

    # ---- convoys ------------------------------------------------------------------------------
    def _pass(self, rec: InRecord, ctx: Context) -> None:
        seen = Seen.from_row(orjson.loads(rec.value() or b"[]"))
        self._pass_seen(seen, (rec.topic() or "", rec.partition() or 0), ctx)

    def _pass_seen(self, seen: Seen, scope: Scope, ctx: Context) -> None:
        """A watchlisted pass against its checkpoint's recent passes in ``scope``'s store."""
        rules = self.rules
        if rules is None or rules.convoy is None:
            return self._skip(ctx, "no_rules")
        store = ctx.store(_PASSES, scope)
        passes = Passes.from_json(store.get(pass_key(seen.checkpoint)))
        pairs = pass_by(passes, seen, rules.convoy)
        store[pass_key(seen.checkpoint)] = passes.to_json()
        ctx.out.extend(together_record(self.cat, a, b) for a, b in pairs)

    def _together(self, rec: InRecord, ctx: Context) -> None:
        rules, zone = self.rules, self.zone
        if rules is None or rules.convoy is None or zone is None:
            return self._skip(ctx, "no_rules")
        a, b = (Seen.from_row(r) for r in orjson.loads(rec.value() or b"[]"))
        if a.plate == b.plate:  # one car read with two colours, forwarded by an older version: no pair
            return self._skip(ctx, "same_plate")
        store = ctx.store(_CONVOYS, (rec.topic() or "", rec.partition() or 0))
        key = pair_key(a, b)
        pair = Pair.from_json(store.get(key))
        firing = together(pair, a, b, rules.convoy)
        store[key] = pair.to_json()
        self._open([firing] if firing else [], zone, rules, ctx)

    def _counter(
        self, trigger: str, refusals: dict[str, int], delay: float, since_first: float
    ) -> Callable[[], None]:
        def count() -> None:
            self.metrics.operations.labels(trigger).inc()
            self.metrics.read_to_escalation.observe(delay)
            self.metrics.first_read_to_escalation.labels(trigger).observe(since_first)
            for reason, n in refusals.items():
                self.metrics.refusals.labels(reason).inc(n)

        return count

    # ---- closing operations -------------------------------------------------------------------
    def _take_command(self, rec: InRecord, region: str, ctx: Context) -> None:
        try:
            _, out = take_command(rec, self.cat, region)
        except Rejected as exc:
            return ctx.dead_letter(rec, exc.reason, exc.stage, str(exc))
        ctx.out.append(out)

    def _keep(self, rec: InRecord, ctx: Context) -> None:
        ops = ctx.store(_OPS, (rec.topic() or "", rec.partition() or 0))
        key = (rec.key() or b"").decode()
        if key not in ops:  # the same opening forwarded again (a replay) keeps the first
            ops[key] = orjson.loads(rec.value() or b"{}")
            ctx.after_commit(self._refresh)

    def _close(self, rec: InRecord, ctx: Context) -> None:
        scope = (rec.topic() or "", rec.partition() or 0)
        ops, zone = ctx.store(_OPS, scope), self.zone
        if zone is None:
            return self._skip(ctx, "no_rules")
        cmd = decode(rec.value() or b"", OperationClose)  # decoded once already, in stage 1
        value = self._live(ctx, scope, cmd.operation_id)
        now = datetime.fromtimestamp(ctx.now, UTC)
        try:
            kept = close(Kept.from_json(value) if value else None, cmd, now)
        except CloseRefused as exc:
            return ctx.dead_letter(original(rec), exc.reason, DlqStage.VALIDATE, str(exc))
        if kept is None or kept.closure is None:
            return self._skip(ctx, "closed_already")
        ops[cmd.operation_id] = kept.to_json()
        out, refusals = closing_deliveries(self.cat, zone, kept, now)
        ctx.out.extend(out)
        ctx.out.extend(end_records(self.cat, kept))
        self._count(ctx, scope, kept.operation.trigger.value, cmd.outcome.value, refusals)
        log.info("operation %s closed by %s: %s", cmd.operation_id, cmd.region, cmd.outcome.value)

    # ---- temporary agreements -----------------------------------------------------------------
    def _agree(self, rec: InRecord, ctx: Context) -> None:
        scope = (rec.topic() or "", rec.partition() or 0)
        ops, zone = ctx.store(_OPS, scope), self.zone
        if zone is None:
            return self._skip(ctx, "no_rules")
        cmd = decode(rec.value() or b"", TemporaryAgreement)  # decoded once already, in stage 1
        value = self._live(ctx, scope, cmd.operation_id)
        now = datetime.fromtimestamp(ctx.now, UTC)
        kept = Kept.from_json(value) if value else None
        ends_at = (kept.opened if kept else ctx.now) + self.settings.operation_expiry_s
        try:
            kept = accept(kept, cmd, zone, now, ends_at)
        except CloseRefused as exc:
            return ctx.dead_letter(original(rec), exc.reason, DlqStage.VALIDATE, str(exc))
        ops[cmd.operation_id] = kept.to_json()
        ctx.out.extend(plate_records(self.cat, zone, kept, now))
        log.info("operation %s: temporary agreement %s accepted", cmd.operation_id, cmd.agreement_id)

    def _temp(self, rec: InRecord, ctx: Context) -> None:
        """A temporary agreement (or its end) kept with the plate, in the plate's partition."""
        store = ctx.store(VEHICLES, (rec.topic() or "", rec.partition() or 0))
        plate = (rec.key() or b"").decode()
        state: VehicleState = store.get(plate) or VehicleState()
        change = orjson.loads(rec.value() or b"{}")
        if "set" in change:
            state.agreements[change["set"]["op"]] = change["set"]
        else:
            state.agreements.pop(change["end"], None)
        state.agreements = {k: a for k, a in state.agreements.items() if a["expires"] > ctx.now}
        if state.empty():
            store.delete(plate)
        else:
            log_state(store, plate, state)

    def _count(self, ctx: Context, scope: Scope, rule: str, outcome: str, refusals: dict[str, int]) -> None:
        counts = ctx.store(_OUTCOMES, scope)
        key = count_key(rule, outcome)
        counts[key] = int(counts.get(key, 0)) + 1

        def count() -> None:
            self.metrics.closed.labels(rule, outcome).inc()
            for reason, n in refusals.items():
                self.metrics.refusals.labels(reason).inc(n)
            self._refresh()

        ctx.after_commit(count)

    # ---- timers --------------------------------------------------------------------------------
    def tick(self, ctx: Context) -> None:
        if self.zone is None:
            return
        if not self.vehicles.sweeps and ctx.now - self._swept_at >= self.settings.sweep_s:
            self._start_sweep(ctx)
        if self.vehicles.sweeps:
            self.vehicles.sweep(ctx, self.rules, self.settings.sweep_chunk)

    def _start_sweep(self, ctx: Context) -> None:
        """Every ``sweep_s``: note the plates to look at, sweep convoys and expire operations (few)."""
        rules = self.rules
        self._swept_at = ctx.now
        for scope in sorted(self._scopes):
            if rules is not None:
                self.vehicles.start_sweep(scope, ctx)
                sweep_convoys(
                    ctx.store(_PASSES, scope), ctx.store(_CONVOYS, scope), ctx.now - horizon_s(rules)
                )
            # operations expire even when the zone dropped its rules since they opened
            ops = ctx.store(_OPS, scope)
            for op_id, value in list(ops.items()):
                if expired(value["opened"], ctx.now, self.settings.operation_expiry_s):
                    self._expire(ctx, scope, op_id, value)

    def _live(self, ctx: Context, scope: Scope, op_id: str) -> Any:
        """The kept operation ``op_id`` of ``scope``, or None; one past its life that the sweep has not
        reached yet ends as expired now, so a close or an agreement after its expiry finds it gone."""
        value = ctx.store(_OPS, scope).get(op_id)
        if value is not None and expired(value["opened"], ctx.now, self.settings.operation_expiry_s):
            self._expire(ctx, scope, op_id, value)
            return None
        return value

    def _expire(self, ctx: Context, scope: Scope, op_id: str, value: Any) -> None:
        ctx.store(_OPS, scope).delete(op_id)
        if value["closure"] is None:  # nobody closed it: it ends as expired
            self._count(ctx, scope, value["operation"]["trigger"], EXPIRED, {})
        else:
            ctx.after_commit(self._refresh)

    # ---- web and end ---------------------------------------------------------------------------
    def views(self) -> dict[str, Callable[[], Any]]:
        return {"/operations/outcomes": lambda: self.outcomes}

    def close(self) -> None:
        if self.tables is not None:
            self.tables.close()
