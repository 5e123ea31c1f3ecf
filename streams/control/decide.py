"""Stage 2: one inbox record decided against its partition's stores: alert, delivery, watchlist, ack, request.

Every record ends as outputs, a duplicate, a parked alert or a dead letter that names the original
source (``Envelope``); no exception leaves ``decide``. Stores are changed by assigning new values only
(an assignment is what the runtime logs), after the pure logic has decided, so a record that is refused
changes nothing; its outputs already emitted in this record are taken back.

An Update or Cancel read before the message it refers to is *parked* (store ``parked``) and decided
again as soon as that message is stored in the partition, or dead-lettered (``unknown_reference``) when
``park_s`` has passed (``Timers``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from schemas.acks import FINAL_OUTCOMES
from schemas.delivery import kind_for_alert
from schemas.dlq import DlqReason, DlqStage
from schemas.inbox import InboxKind
from schemas.times import TimeBounds
from schemas.zone import Zone
from streams.control.acks.audit import ack_audit
from streams.control.acks.deadlines import with_breached
from streams.control.acks.logic import apply_ack, delivery_state
from streams.control.alerts.logic import process_alert
from streams.control.common import Rejected, Unresolved, from_epoch
from streams.control.config import ControlSettings
from streams.control.envelope import Envelope, Original, parked, unparked
from streams.control.intake import STREAM_OF
from streams.control.metrics import ControlMetrics
from streams.control.partition import Partition, emit
from streams.control.requests.logic import Refused, process_requests_record
from streams.control.state import ParkedState
from streams.control.watchlist.logic import PartialGate, process_command
from streams.control.watchlist.partials import PartialCounts
from streams.runtime import Context, InRecord

__all__ = ["Decider"]

log = logging.getLogger(__name__)


class Decider:
    """Decides inbox records for the processor; keeps nothing but a flag that outcome figures changed."""

    def __init__(
        self,
        settings: ControlSettings,
        metrics: ControlMetrics,
        zone: Callable[[], Zone | None],
        partials: PartialCounts | None = None,
    ) -> None:
        self._partials = partials
        self.cat = settings.catalogue
        self.settings = settings
        self.metrics = metrics
        self._zone = zone
        self.outcomes_changed = False

    # ---- one inbox record ----------------------------------------------------------------------
    def decide(self, rec: InRecord, ctx: Context, part: Partition, env: Envelope | None = None) -> None:
        """Decide one record of the partition ``part`` (an inbox record, or ``env`` of a region's alert
        read from its single-partition alerts topic); never raises."""
        env = env or Envelope.open(rec)
        try:
            kind = InboxKind(env.kind)
        except ValueError:
            error = f"inbox record of unknown kind {env.kind!r}"
            self.reject(ctx, "unknown", env.original, DlqReason.SCHEMA_VIOLATION, DlqStage.VALIDATE, error)
            return
        stream = STREAM_OF[kind]
        mark = len(ctx.out)
        resolved: list[str] = []
        try:
            if kind == InboxKind.ALERT:
                outcome, resolved = self._alert(env, ctx, part)
            elif kind in (InboxKind.NOTICE, InboxKind.DELIVERY):
                outcome = self._delivery(env, ctx, part)
            elif kind == InboxKind.WATCHLIST:
                outcome = self._watchlist(env, ctx, part)
            elif kind == InboxKind.REQUEST:
                outcome = self._request(env, ctx, part)
            else:
                outcome = self._ack(env, ctx, part)
        except Unresolved as exc:
            del ctx.out[mark:]
            if kind == InboxKind.ALERT:
                self._park(rec, env, exc, ctx, part)
                outcome = "parked"
            else:  # an ack comes after its delivery in the partition: unknown now is unknown for good
                self.reject(ctx, stream, env.original, exc.reason, exc.stage, str(exc))
                outcome = "rejected"
        except Rejected as exc:
            del ctx.out[mark:]
            if isinstance(exc, Refused):  # a refusal under the consent rule is audited too
                emit(ctx, self.cat, exc.audits)
            self.reject(ctx, stream, env.original, exc.reason, exc.stage, str(exc))
            outcome = "rejected"
        except Exception as exc:  # a bug: the record must not stop the batch, nor be skipped silently
            del ctx.out[mark:]
            log.exception("inbox record %s[%s]@%s failed", rec.topic(), rec.partition(), rec.offset())
            error = f"{type(exc).__name__}: {exc}"
            self.reject(ctx, stream, env.original, DlqReason.PROCESSING_ERROR, DlqStage.PROCESS, error)
            outcome = "rejected"
        self.metrics.child(self.metrics.records, stream, outcome).inc()
        if resolved:
            self._resume(ctx, part, resolved)

    def reject(
        self, ctx: Context, stream: str, original: InRecord, reason: DlqReason, stage: DlqStage, error: str
    ) -> None:
        """Dead-letter ``original`` (the record as on its source topic) and count it."""
        log.warning(
            "%s: %s[%s]@%s rejected (%s): %s",
            stream,
            original.topic(),
            original.partition(),
            original.offset(),
            reason.value,
            error,
        )
        ctx.dead_letter(original, reason, stage, error)
        self.metrics.dead_letter(stream, reason, stage.value)

    def _partial_gate(self) -> PartialGate | None:
        zone = self._zone()
        if zone is None or self._partials is None:
            return None
        return zone.partial_patterns, self._partials.active_of

    def _bounds(self) -> TimeBounds:
        zone = self._zone()
        return zone.times if zone is not None else TimeBounds()

    # ---- the kinds -----------------------------------------------------------------------------
    def _alert(
        self, env: Envelope, ctx: Context, part: Partition, resumed: bool = False
    ) -> tuple[str, list[str]]:
        """Returns the outcome and the message keys now known (parked alerts may wait for them)."""
        zone = self._zone()
        if zone is None:
            raise RuntimeError("no zone loaded")
        messages, threads = ctx.store("alerts", part.scope), ctx.store("threads", part.scope)
        result = process_alert(
            env.original.value(),
            env.region,
            zone=zone,
            catalogue=self.cat,
            now=from_epoch(ctx.now),
            messages=messages,
            threads=threads,
            received=_received(env, ctx),
            bounds=zone.times,
            judge_times=not resumed,
        )
        if result.duplicate or result.alert is None:
            return "duplicate", []
        recipients = emit(ctx, self.cat, result.outputs)
        for key, message in result.messages.items():
            messages[key] = message
        for key, thread in result.threads.items():
            threads[key] = thread
        kind = kind_for_alert(result.alert).value
        for region in recipients:
            self.metrics.child(self.metrics.deliveries, region, kind).inc()
        for decision in result.refused:
            self.metrics.child(self.metrics.refusals, decision.recipient, decision.reason.value).inc()
        _, written_ms = env.original.timestamp()
        if written_ms > 0:
            self.metrics.alert_latency.observe(max(0.0, time.time() - written_ms / 1000))
        return "ok", list(result.messages)

    def _delivery(self, env: Envelope, ctx: Context, part: Partition) -> str:
        deliveries = ctx.store("deliveries", part.scope)
        did = (env.original.key() or b"").decode("utf-8", "replace")
        if did in deliveries:
            return "duplicate"
        delivery, state = delivery_state(env.original.value(), InboxKind(env.kind))
        if delivery.delivery_id != did:
            raise Rejected(
                DlqReason.SCHEMA_VIOLATION,
                DlqStage.VALIDATE,
                f"delivery {delivery.delivery_id} keyed {did!r:.80} in the inbox",
            )
        if delivery.recipient != env.region:
            raise Rejected(
                DlqReason.REGION_MISMATCH,
                DlqStage.VALIDATE,
                f"a delivery to region {delivery.recipient} announced for region {env.region}",
            )
        deliveries[did] = state
        part.schedule(self.settings.deadlines, did, state)
        if delivery.breach_of is not None and delivery.breach_stage is not None:
            # the breached stage is stored with the breach; this is a backstop
            target = deliveries.get(delivery.breach_of)
            stage = delivery.breach_stage.value
            if target is not None and stage not in target["breached"]:
                deliveries[delivery.breach_of] = with_breached(target, stage)
        return "ok"

    def _watchlist(self, env: Envelope, ctx: Context, part: Partition) -> str:
        entries = ctx.store("entries", part.scope)
        result = process_command(
            env.original.value(),
            env.region,
            catalogue=self.cat,
            now=from_epoch(ctx.now),
            entries=entries,
            key=(env.original.key() or b"").decode("utf-8", "replace"),
            received=_received(env, ctx),
            bounds=self._bounds(),
            partials=self._partial_gate(),
        )
        if result.duplicate:
            return "duplicate"
        emit(ctx, self.cat, result.outputs)
        for entry_id, state in result.entries.items():
            entries[entry_id] = state
            part.expire_at(entry_id, state)
        self.metrics.watchlist.labels(env.region, result.op).inc()
        return "ok"

    def _request(self, env: Envelope, ctx: Context, part: Partition) -> str:
        zone = self._zone()
        if zone is None:
            raise RuntimeError("no zone loaded")
        requests = ctx.store("requests", part.scope)
        result = process_requests_record(
            env.original.value(),
            env.region,
            requests,
            key=(env.original.key() or b"").decode("utf-8", "replace"),
            zone=zone,
            catalogue=self.cat,
            now=from_epoch(ctx.now),
            received=_received(env, ctx),
            bounds=zone.times,
        )
        if result.state is None:
            return "duplicate"
        emit(ctx, self.cat, result.outputs)
        requests[result.request_id] = result.state
        part.schedule_request(self.settings.deadlines, result.request_id, result.state)
        self.metrics.child(self.metrics.requests, result.region, result.status).inc()
        return "ok"

    def _ack(self, env: Envelope, ctx: Context, part: Partition) -> str:
        deliveries = ctx.store("deliveries", part.scope)
        key = (env.original.key() or b"").decode("utf-8", "replace")
        result = apply_ack(
            env.original.value(),
            env.region,
            deliveries,
            key=key,
            received=_received(env, ctx),
            bounds=self._bounds(),
        )
        if result.state is None:
            return "duplicate"
        deliveries[result.delivery_id] = result.state
        emit(ctx, self.cat, [ack_audit(self.cat, result.ack, result.state, from_epoch(ctx.now))])
        region = result.state["recipient"]
        self.metrics.acks.labels(region, result.ack.outcome.value).inc()
        if result.seconds_to_acknowledge is not None:
            self.metrics.time_to_acknowledge.labels(region).observe(result.seconds_to_acknowledge)
        if result.ack.outcome in FINAL_OUTCOMES:
            part.stats.change(result.state, result.previous_outcome, result.state["outcome"])
            self.outcomes_changed = True
        return "ok"

    # ---- parked alerts -------------------------------------------------------------------------
    def _park(self, rec: InRecord, env: Envelope, why: Unresolved, ctx: Context, part: Partition) -> None:
        key = f"{rec.offset() or 0:020d}"  # inbox offsets: sorted keys are arrival order
        state = parked(env.original, env.region, why.waiting_for, ctx.now + self.settings.park_s, str(why))
        ctx.store("parked", part.scope)[key] = state
        part.park(key, state)
        log.info("alert %s[%s]@%s parked: %s", *_where(env.original), why)

    def _resume(self, ctx: Context, part: Partition, known: list[str]) -> None:
        """Decide again the parked alerts that waited for the messages ``known`` (and so on)."""
        store = ctx.store("parked", part.scope)
        todo = part.waiting_for(known)
        while todo:
            key = todo.pop(0)
            state: ParkedState | None = store.get(key)
            if state is None:
                continue
            original = unparked(state)
            mark = len(ctx.out)
            more: list[str] = []
            try:
                outcome, more = self._alert(
                    Envelope(InboxKind.ALERT.value, state["region"], original), ctx, part, resumed=True
                )
            except Unresolved as exc:  # it refers to one more message not known yet
                del ctx.out[mark:]
                again = ParkedState(**state)
                again["waits"], again["error"] = exc.waiting_for, str(exc)
                store[key] = again
                if exc.waiting_for is not None:
                    part.waiting.setdefault(exc.waiting_for, set()).add(key)
                continue
            except Rejected as exc:
                del ctx.out[mark:]
                self.reject(ctx, "alerts", original, exc.reason, exc.stage, str(exc))
                outcome = "rejected"
            except Exception as exc:
                del ctx.out[mark:]
                log.exception("parked alert %s[%s]@%s failed", *_where(original))
                error = f"{type(exc).__name__}: {exc}"
                self.reject(ctx, "alerts", original, DlqReason.PROCESSING_ERROR, DlqStage.PROCESS, error)
                outcome = "rejected"
            del store[key]
            self.metrics.records.labels("alerts", outcome).inc()
            todo = sorted(set(todo) | set(part.waiting_for(more)))

    def expire_parked(self, ctx: Context, part: Partition) -> None:
        """Dead-letter the parked alerts whose wait is over (``unknown_reference``)."""
        store = ctx.store("parked", part.scope)
        for _, key, _ in part.parked_due.pop_due(ctx.now):
            state = store.get(key)
            if state is None:
                continue
            error = f"{state['error']}, and it did not arrive within {self.settings.park_s:g} s"
            self.reject(ctx, "alerts", unparked(state), DlqReason.UNKNOWN_REFERENCE, DlqStage.VALIDATE, error)
            self.metrics.records.labels("alerts", "rejected").inc()
            del store[key]


def _received(env: Envelope, ctx: Context) -> datetime:
    """When the app received the record (its clock): at intake, or now if it is decided where read."""
    return from_epoch(env.received if env.received is not None else ctx.now)


def _where(rec: Original) -> tuple[str, int, int]:
    return rec.topic(), rec.partition(), rec.offset()
