"""The escalate processor driven as the runtime drives it, without a broker: two stages, store, sweep."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson
from prometheus_client import CollectorRegistry

from ops.zone import load_zone_file
from schemas.codec import decode, encode
from schemas.delivery import Delivery
from schemas.dlq import DeadLetter, DlqReason, parse_dlq_headers
from schemas.escalation import CheckpointSite, ClonedPlateRule, EscalationRules
from schemas.matching import match_id
from schemas.operation import close_id
from schemas.topics import Catalogue
from streams.escalate.config import EscalateSettings
from streams.escalate.processor import EscalateProcessor
from streams.runtime import (
    ClientFactory,
    Context,
    DeadLetterBuilder,
    Outgoing,
    Record,
    RuntimeSettings,
    Stores,
)
from tests.support.hotpath import EXAMPLE_ZONE
from tests.unit.models_factories import hit as model_hit
from tests.unit.models_factories import hit_data
from tests.unit.models_factories import match as model_match

CAT = Catalogue("rax")
RULES = EscalationRules(
    cloned_plate=ClonedPlateRule(window_s=3600, corroborating_checkpoints=1),
    checkpoints=(
        CheckpointSite(checkpoint_id="CD-1", lat=30.66, lon=104.07),
        CheckpointSite(checkpoint_id="CQ-1", lat=29.56, lon=106.55),
    ),
)


def processor() -> tuple[EscalateProcessor, Stores]:
    settings = EscalateSettings(runtime=RuntimeSettings(namespace="rax"))
    p = EscalateProcessor(
        settings, ClientFactory(settings.runtime.kafka, "test-escalate"), CollectorRegistry()
    )
    p.use_zone(load_zone_file(EXAMPLE_ZONE).model_copy(update={"escalation": RULES}), 1)
    stores = Stores(p.store_specs(), lambda s: CAT.changelog("escalate", s), 3)
    p.assigned((CAT.escalate_inbox, 0), stores)
    return p, stores


def turn(p: EscalateProcessor, stores: Stores, batch: list[Record], now: float) -> list[Outgoing]:
    ctx = Context(now, stores, DeadLetterBuilder(CAT.dlq("escalate"), "escalate"))
    if batch:
        p.process(batch, ctx)
    else:
        p.tick(ctx)
    stores.clean()
    for hook in ctx.committed_hooks:  # as the runtime does once the transaction committed
        hook()
    return ctx.out


def hit(region: str, checkpoint: str, at: datetime) -> Record:
    data = hit_data(event_id=_uuid(), region=region, checkpoint_id=checkpoint, pass_time=at.isoformat())
    return Record(CAT.in_hits(region), orjson.dumps(data))


def _uuid() -> str:
    return str(uuid.uuid4())


def test_two_reads_too_far_apart_open_one_operation_and_the_plate_is_swept_later() -> None:
    p, stores = processor()
    t = datetime.now(UTC) - timedelta(minutes=30)
    forwarded = turn(
        p, stores, [hit("510000", "CD-1", t), hit("500000", "CQ-1", t + timedelta(minutes=20))], 0
    )
    assert [(o.topic, o.key) for o in forwarded] == [(CAT.escalate_inbox, "川A12345".encode())] * 2
    inbox = [Record(CAT.escalate_inbox, o.value, i, 0, o.key) for i, o in enumerate(forwarded)]
    out = turn(p, stores, inbox, time.time())
    deliveries = [decode(o.value or b"", Delivery) for o in out if o.topic.startswith(CAT.out_prefix)]
    assert sorted(d.recipient for d in deliveries) == ["500000", "510000"]
    assert {d.operation.trigger for d in deliveries if d.operation} == {"cloned_plate"}
    assert len([o for o in out if o.topic == CAT.audit]) == 2
    assert "川A12345" in stores.get("vehicles", (CAT.escalate_inbox, 0))

    turn(p, stores, [], time.time())  # within the window: kept
    assert "川A12345" in stores.get("vehicles", (CAT.escalate_inbox, 0))
    turn(p, stores, [], time.time() + 2 * 3600)  # every read and mark left the window: deleted
    assert "川A12345" not in stores.get("vehicles", (CAT.escalate_inbox, 0))


def test_a_sweep_of_more_plates_than_a_tick_may_look_at_is_spread_over_ticks() -> None:
    p, stores = processor()
    p.settings = p.settings.model_copy(update={"sweep_chunk": 2})
    t = datetime.now(UTC) - timedelta(minutes=30)
    reads = []
    for i in range(5):
        data = hit_data(event_id=_uuid(), region="510000", checkpoint_id="CD-1", plate=f"川A1234{i}")
        reads.append(Record(CAT.in_hits("510000"), orjson.dumps({**data, "pass_time": t.isoformat()})))
    forwarded = turn(p, stores, reads, time.time())
    turn(p, stores, [Record(CAT.escalate_inbox, o.value, i, 0, o.key) for i, o in enumerate(forwarded)], 0)
    vehicles = stores.get("vehicles", (CAT.escalate_inbox, 0))
    assert len(vehicles) == 5

    later = time.time() + 2 * 3600  # every read left the window
    left = []
    for k in range(4):
        turn(p, stores, [], later + k)
        left.append(len(vehicles))
    assert left == [3, 1, 0, 0]  # two plates a tick, then the sweep is over until sweep_s has passed


def _opened(p: EscalateProcessor, stores: Stores, now: float) -> tuple[str, Record]:
    """A cloned-plate operation opened (owner 500000), and the inbox record that keeps it by id."""
    t = datetime.fromtimestamp(now, UTC) - timedelta(minutes=30)
    forwarded = turn(
        p, stores, [hit("510000", "CD-1", t), hit("500000", "CQ-1", t + timedelta(minutes=20))], now
    )
    inbox = [Record(CAT.escalate_inbox, o.value, i, 0, o.key) for i, o in enumerate(forwarded)]
    out = turn(p, stores, inbox, now)
    (kept,) = [o for o in out if o.topic == CAT.escalate_inbox]
    assert kept.headers == [("rax.esc.kind", b"opened")]
    assert len([o for o in out if o.topic == CAT.control_inbox]) == 2  # both deliveries announced
    return (kept.key or b"").decode(), Record(CAT.escalate_inbox, kept.value, 10, 0, kept.key, kept.headers)


def _close(
    p: EscalateProcessor, stores: Stores, op_id: str, region: str, outcome: str, now: float, *, on: str = ""
) -> list[Outgoing]:
    """A close command published on ``on``'s (default: ``region``'s) operations topic, through both stages."""
    cmd = {
        "close_id": close_id(op_id, region, outcome),
        "operation_id": op_id,
        "region": region,
        "outcome": outcome,
        "note": "checked at the toll gate",
        "at": datetime.fromtimestamp(now, UTC).isoformat(),
    }
    sent = Record(CAT.in_operations(on or region), orjson.dumps(cmd), 7, 0, op_id.encode())
    out = turn(p, stores, [sent], now)
    forwarded = [o for o in out if o.topic == CAT.escalate_inbox]
    if not forwarded:
        return out
    (o,) = forwarded
    return turn(p, stores, [Record(CAT.escalate_inbox, o.value, 20, 0, o.key, o.headers)], now)


def _letter(out: list[Outgoing]) -> DeadLetter:
    (letter,) = [o for o in out if o.topic == CAT.dlq("escalate")]
    return parse_dlq_headers(letter.headers)


def test_the_owner_closes_an_operation_once_and_the_rule_counts_its_outcome() -> None:
    p, stores = processor()
    now = time.time()
    op_id, kept = _opened(p, stores, now)
    turn(p, stores, [kept], now)
    turn(p, stores, [kept], now)  # forwarded twice (a replay): kept once
    assert p.metrics.open._value.get() == 1

    refused = _letter(_close(p, stores, op_id, "510000", "confirmed", now))  # not the owner
    assert refused.reason == DlqReason.NOT_AUTHORISED
    assert refused.source_topic == CAT.in_operations("510000") and refused.source_offset == 7
    forged = _letter(_close(p, stores, op_id, "500000", "confirmed", now, on="510000"))
    assert forged.reason == DlqReason.REGION_MISMATCH
    unknown = _letter(_close(p, stores, "0" * 32, "500000", "confirmed", now))
    assert unknown.reason == DlqReason.UNKNOWN_REFERENCE

    out = _close(p, stores, op_id, "500000", "confirmed", now)
    told = [decode(o.value or b"", Delivery) for o in out if o.topic.startswith(CAT.out_prefix)]
    assert sorted(d.recipient for d in told) == ["500000", "510000"]
    assert {d.closure.outcome for d in told if d.closure} == {"confirmed"}
    assert len([o for o in out if o.topic == CAT.audit]) == 2
    again = _close(p, stores, op_id, "500000", "false_alarm", now)  # closing twice changes nothing
    assert not [o for o in again if o.topic != CAT.escalate_inbox]

    assert p.views()["/operations/outcomes"]()["cloned_plate"]["outcomes"]["confirmed"] == 1
    assert p.views()["/operations/outcomes"]()["cloned_plate"]["outcomes"]["false_alarm"] == 0
    closed = p.metrics.closed.labels("cloned_plate", "confirmed")._value.get()
    assert closed == 1 and p.metrics.open._value.get() == 0


def test_an_operation_nobody_closes_expires_and_is_counted_as_such() -> None:
    p, stores = processor()
    now = time.time()
    op_id, kept = _opened(p, stores, now)
    turn(p, stores, [kept], now)
    turn(p, stores, [], now + 3600)  # open still
    assert op_id in stores.get("operations", (CAT.escalate_inbox, 0))
    turn(p, stores, [], now + p.settings.operation_expiry_s + 60)
    assert op_id not in stores.get("operations", (CAT.escalate_inbox, 0))
    assert p.outcomes["cloned_plate"]["outcomes"]["expired"] == 1
    late = _letter(_close(p, stores, op_id, "500000", "confirmed", now + p.settings.operation_expiry_s + 120))
    assert late.reason == DlqReason.UNKNOWN_REFERENCE


def test_a_close_after_the_operation_expired_is_refused_even_before_the_sweep_reached_it() -> None:
    p, stores = processor()
    now = time.time()
    op_id, kept = _opened(p, stores, now)
    turn(p, stores, [kept], now)
    after = now + p.settings.operation_expiry_s + 1  # no tick since: the sweep has not run
    late = _letter(_close(p, stores, op_id, "500000", "confirmed", after))
    assert late.reason == DlqReason.UNKNOWN_REFERENCE
    assert op_id not in stores.get("operations", (CAT.escalate_inbox, 0))
    outcomes = p.outcomes["cloned_plate"]["outcomes"]
    assert outcomes["expired"] == 1 and outcomes["confirmed"] == 0


def test_a_read_whose_inbox_partition_this_worker_holds_is_decided_at_once_the_others_forwarded() -> None:
    p, stores = processor()
    p.inbox_partitions = 2
    p.assigned((CAT.escalate_inbox, 1), stores)  # holds partitions 0 and 1: every read decided at once
    t = datetime.now(UTC) - timedelta(minutes=30)
    out = turn(
        p, stores, [hit("510000", "CD-1", t), hit("500000", "CQ-1", t + timedelta(minutes=20))], time.time()
    )
    assert not [o for o in out if o.topic == CAT.escalate_inbox and not o.headers]  # nothing re-keyed
    deliveries = [decode(o.value or b"", Delivery) for o in out if o.topic.startswith(CAT.out_prefix)]
    assert sorted(d.recipient for d in deliveries) == ["500000", "510000"]  # one hop: opened at once
    part = p.inbox_partition("川A12345".encode())
    assert part is not None and "川A12345" in stores.get("vehicles", (CAT.escalate_inbox, part))

    p.revoked((CAT.escalate_inbox, part))  # another worker holds the plate's partition now
    (forwarded,) = turn(p, stores, [hit("510000", "CD-1", t + timedelta(minutes=40))], time.time())
    assert (forwarded.topic, forwarded.key, forwarded.partition) == (
        CAT.escalate_inbox,
        "川A12345".encode(),
        part,
    )


def _blind_match(at: datetime) -> Record:
    """A blind entry's match of 川A12345 (the hot path's, with ``rax.matches`` sealed at rest)."""
    h = model_hit(event_id=_uuid(), region="510000", checkpoint_id="CD-1", pass_time=at)
    entry = _uuid()
    m = model_match(hit=h, entry_id=entry, match_id=match_id(h.event_id, entry), blind=True, description=None)
    return Record(CAT.matches, encode(m))


def _both_stages(p: EscalateProcessor, stores: Stores, batch: list[Record], now: float) -> list[Outgoing]:
    out = turn(p, stores, batch, now)
    inbox = [Record(CAT.escalate_inbox, o.value, i, 0, o.key, o.headers) for i, o in enumerate(out)]
    return out + turn(p, stores, inbox, now)


def test_a_clone_on_a_plate_a_blind_entry_matched_is_sealed_after_the_match_left_the_state() -> None:
    """No multi-region rule: the blind match is dropped at the plate's next read; the plate stays blind."""
    p, stores = processor()
    now = time.time()
    t = datetime.fromtimestamp(now, UTC) - timedelta(minutes=30)
    _both_stages(p, stores, [_blind_match(t - timedelta(minutes=5))], now)
    out = _both_stages(
        p, stores, [hit("510000", "CD-1", t), hit("500000", "CQ-1", t + timedelta(minutes=20))], now
    )
    (kept,) = [o for o in out if o.headers == [("rax.esc.kind", b"opened")]]
    assert orjson.loads(kept.value or b"")["operation"]["blind"] is True
    assert not [o for o in out if o.topic.startswith(CAT.out_prefix)]  # no seal key here: refused
    audits = [o for o in out if o.topic == CAT.audit]
    assert len(audits) == 2 and not any("川A12345".encode() in (o.value or b"") for o in audits)
