"""Convoys (issue 14, rule d): two watchlisted vehicles at the same checkpoints within seconds fire once."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson
from prometheus_client import CollectorRegistry

from ops.zone import load_zone_file
from schemas.codec import decode, encode
from schemas.delivery import Delivery
from schemas.escalation import ConvoyRule, EscalationRules
from schemas.matching import match_id
from schemas.operation import EscalationTrigger
from schemas.topics import Catalogue
from streams.escalate.closing import KIND_HEADER
from streams.escalate.config import EscalateSettings
from streams.escalate.convoy import MAX_PASSES, Pair, Passes, pair_key, pass_by, together
from streams.escalate.intake import TOGETHER, together_record
from streams.escalate.processor import EscalateProcessor
from streams.escalate.rules import Firing
from streams.escalate.seen import Seen
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
from tests.unit.models_factories import hit, match

T0 = 1_780_000_000.0
RULE = ConvoyRule(gap_s=30, min_checkpoints=3, window_s=3600)
A, B = "川A11111", "川B22222"


def seen(plate: str, checkpoint: str, t: float, region: str = "510000") -> Seen:
    entry = {A: "e-a", B: "e-b"}.get(plate, "e-x")
    return Seen(
        str(uuid.uuid4()),
        plate,
        "blue",
        region,
        checkpoint,
        T0 + t,
        entry,
        "510000",
        "stolen_vehicle",
        "high",
    )


def drive(reads: list[Seen], rule: ConvoyRule = RULE) -> list[Firing]:
    """Every pass through its checkpoint's passes and every pair through its pair, JSON round-tripped."""
    passes: dict[str, list[object]] = {}
    pairs: dict[str, dict[str, object]] = {}
    fired = []
    for s in reads:
        kept = Passes.from_json(orjson.loads(orjson.dumps(passes.get(s.checkpoint))))  # type: ignore[arg-type]
        found = pass_by(kept, s, rule)
        passes[s.checkpoint] = kept.to_json()
        for a, b in found:
            key = pair_key(a, b)
            pair = Pair.from_json(orjson.loads(orjson.dumps(pairs.get(key))))  # type: ignore[arg-type]
            firing = together(pair, a, b, rule)
            pairs[key] = pair.to_json()
            fired += [firing] if firing else []
    return fired


def convoy(gap: float = 10, checkpoints: int = 3) -> list[Seen]:
    reads = []
    for i in range(checkpoints):
        reads += [seen(A, f"K{i}", i * 600), seen(B, f"K{i}", i * 600 + gap)]
    return reads


def test_a_convoy_fires_once_at_its_third_checkpoint() -> None:
    fired = drive([*convoy(), seen(A, "K3", 1800), seen(B, "K3", 1805)])
    assert [f.trigger for f in fired] == [EscalationTrigger.CONVOY]
    assert [(s.plate, s.checkpoint) for s in fired[0].evidence] == [
        (A, "K0"), (B, "K0"), (A, "K1"), (B, "K1"), (A, "K2"), (B, "K2"),
    ]  # fmt: skip
    assert "3 checkpoints together" in fired[0].detail


def test_convoy_near_misses() -> None:
    assert drive(convoy(checkpoints=2)) == []  # one checkpoint short
    assert drive(convoy(gap=31)) == []  # seconds too far apart at every checkpoint
    same = [seen(A, f"K{i}", i * 600 + d) for i in range(3) for d in (0, 5)]
    assert drive(same) == []  # one vehicle read twice is no convoy
    slow = [seen(A, "K0", 0), seen(B, "K0", 5), seen(A, "K1", 600), seen(B, "K1", 605)]
    assert drive([*slow, seen(A, "K2", 4000), seen(B, "K2", 4005)]) == []  # outside the window


def test_two_vehicles_changing_places_or_passing_checkpoints_in_another_sequence_are_no_convoy() -> None:
    """Together means one order: the same leader at every checkpoint, the same checkpoint sequence."""
    swapped = [seen(A, "K0", 0), seen(B, "K0", 10), seen(B, "K1", 600), seen(A, "K1", 610)]
    assert drive([*swapped, seen(A, "K2", 1200), seen(B, "K2", 1210)]) == []  # B ahead at K1 only
    # A drives K0, K1, K2 and B K2, K1, K0, each pass within seconds of A's, B behind A at each
    reverse = [seen(A, "K0", 0), seen(A, "K1", 5), seen(A, "K2", 10)]
    assert drive([*reverse, seen(B, "K2", 12), seen(B, "K1", 14), seen(B, "K0", 16)]) == []


def test_either_vehicle_may_lead_and_a_pass_out_of_order_is_left_out_of_the_count() -> None:
    fired = drive([x for i in range(3) for x in (seen(B, f"K{i}", i * 600), seen(A, f"K{i}", i * 600 + 5))])
    assert [f.trigger for f in fired] == [EscalationTrigger.CONVOY]  # B ahead throughout
    reads = [seen(A, "K0", 0), seen(B, "K0", 5), seen(B, "K1", 600), seen(A, "K1", 605)]
    reads += [x for i in (2, 3) for x in (seen(A, f"K{i}", i * 600), seen(B, f"K{i}", i * 600 + 5))]
    fired = drive(reads)  # A ahead at K0, K2, K3: fires at K3, without K1
    assert [f.trigger for f in fired] == [EscalationTrigger.CONVOY]
    assert [s.checkpoint for s in fired[0].evidence] == ["K0", "K0", "K2", "K2", "K3", "K3"]
    assert "3 checkpoints together in one order" in fired[0].detail


def test_one_plate_read_with_two_colours_is_never_a_convoy_with_itself() -> None:
    """One camera reports no colour, another blue (or blue against yellow): one car, not two."""
    reads = [
        s._replace(colour=colour)
        for i in range(3)
        for s, colour in ((seen(A, f"K{i}", i * 600), "blue"), (seen(A, f"K{i}", i * 600 + 2), ""))
    ]
    assert drive(reads) == []
    assert drive([s._replace(colour="yellow" if s.colour else "blue") for s in reads]) == []
    x, y = seen(A, "K0", 0), seen(A, "K0", 2)._replace(colour="")
    assert together(Pair(), x, y, ConvoyRule(min_checkpoints=2)) is None  # a pair an older version sent
    pair = Pair()
    for i in range(2):
        together(pair, seen(A, f"K{i}", i * 600), seen(A, f"K{i}", i * 600 + 1)._replace(colour=""), RULE)
    assert pair.together == []


def test_two_vehicles_read_with_a_colour_at_one_checkpoint_and_without_at_another_are_one_pair() -> None:
    """A camera that reports no colour splits no convoy: the pair is the two plates, whatever the colours."""
    reads = [s._replace(colour="") if s.checkpoint == "K1" and s.plate == B else s for s in convoy()]
    assert pair_key(reads[0], reads[1]) == pair_key(reads[2], reads[3])
    assert [f.trigger for f in drive(reads)] == [EscalationTrigger.CONVOY]


def test_a_re_sent_pass_counts_once_and_pairs_nothing() -> None:
    reads = convoy(checkpoints=2)
    assert drive([*reads, reads[-1], reads[-2]]) == []


def test_a_pass_arriving_after_a_later_one_still_meets_its_partner() -> None:
    """Matches are keyed by match id: a checkpoint's passes arrive in any order."""
    rule = ConvoyRule(gap_s=10, min_checkpoints=3, window_s=3600)
    passes = Passes()
    v1, v3, v2 = seen("V1", "K0", 100), seen("V3", "K0", 220), seen("V2", "K0", 105)
    assert pass_by(passes, v1, rule) == []
    assert pass_by(passes, v3, rule) == []
    assert pass_by(passes, v2, rule) == [(v1, v2)]
    assert pass_by(passes, v2, rule) == []  # the late pass replayed: the pair is sent once


def test_a_convoy_whose_passes_arrive_out_of_order_fires_once() -> None:
    c = "川C33333"
    reads = []
    for i in range(3):  # at each checkpoint a third vehicle's later pass arrives between A's and B's
        reads += [seen(A, f"K{i}", i * 600), seen(c, f"K{i}", i * 600 + 300), seen(B, f"K{i}", i * 600 + 10)]
    fired = drive([*reads, *reads])  # and everything replayed
    assert [f.trigger for f in fired] == [EscalationTrigger.CONVOY]
    assert {s.plate for s in fired[0].evidence} == {A, B}


def test_a_pass_later_than_the_window_or_behind_a_full_list_is_refused_and_never_pairs_twice() -> None:
    rule = ConvoyRule(gap_s=600, min_checkpoints=3, window_s=3600)
    passes = Passes()
    first = seen(A, "K0", 0)
    assert pass_by(passes, first, rule) == []
    assert len(pass_by(passes, seen(B, "K0", 3700), rule)) == 0  # 3700 s later: A's pass dropped
    assert [s.plate for s in passes.seen] == [B]
    assert pass_by(passes, seen("川C33333", "K0", 50), rule) == []  # too late to be kept: refused
    assert pass_by(passes, first, rule) == []  # A's replayed: dropped, refused, pairs nothing again

    passes = Passes()
    many = [seen(f"川D{i:05d}", "K0", i) for i in range(MAX_PASSES + 50)]
    found = [pass_by(passes, s, rule) for s in many]
    assert len(passes.seen) == MAX_PASSES  # a busy checkpoint: the oldest go first
    assert passes.seen[0] == many[50]
    assert sum(len(f) for f in found) > 0
    assert pass_by(passes, many[0], rule) == []  # dropped from a full list, replayed: refused
    assert pass_by(passes, many[60], rule) == []  # kept: a re-sent pass
    assert Passes.from_json(list(reversed(passes.to_json()))).seen == passes.seen  # kept in order


def test_a_convoy_of_three_vehicles_opens_one_operation_per_pair() -> None:
    c = "川C33333"
    reads = [
        s
        for i in range(3)
        for s in (seen(A, f"K{i}", i * 600), seen(B, f"K{i}", i * 600 + 3), seen(c, f"K{i}", i * 600 + 6))
    ]
    assert len(drive(reads)) == 3


# ---- through the processor, as the runtime drives it ---------------------------------------------

CAT = Catalogue("rax")


def _processor() -> tuple[EscalateProcessor, Stores]:
    settings = EscalateSettings(runtime=RuntimeSettings(namespace="rax"))
    p = EscalateProcessor(
        settings, ClientFactory(settings.runtime.kafka, "test-escalate"), CollectorRegistry()
    )
    p.use_zone(
        load_zone_file(EXAMPLE_ZONE).model_copy(update={"escalation": EscalationRules(convoy=RULE)}), 1
    )
    stores = Stores(p.store_specs(), lambda s: CAT.changelog("escalate", s), 3)
    p.assigned((CAT.escalate_inbox, 0), stores)
    return p, stores


def _turn(p: EscalateProcessor, stores: Stores, batch: list[Record], now: float) -> list[Outgoing]:
    ctx = Context(now, stores, DeadLetterBuilder(CAT.dlq("escalate"), "escalate"))
    p.process(batch, ctx) if batch else p.tick(ctx)
    stores.clean()
    for hook in ctx.committed_hooks:
        hook()
    return ctx.out


def _match(plate: str, owner: str, region: str, checkpoint: str, at: datetime) -> Record:
    h = hit(event_id=str(uuid.uuid4()), plate=plate, region=region, checkpoint_id=checkpoint, pass_time=at)
    entry_id = str(uuid.uuid5(uuid.NAMESPACE_URL, plate))
    m = match(
        hit=h, entry_id=entry_id, owner=owner, match_id=match_id(h.event_id, entry_id), matched_plate=plate
    )
    return Record(CAT.matches, encode(m))


def _until_quiet(p: EscalateProcessor, stores: Stores, batch: list[Record], now: float) -> list[Outgoing]:
    """Feed ``batch``, then every inbox record it forwards, until nothing more is forwarded."""
    out: list[Outgoing] = []
    while batch:
        produced = _turn(p, stores, batch, now)
        out += produced
        inbox = [
            o
            for o in produced
            if o.topic == CAT.escalate_inbox and o.headers != [("rax.esc.kind", b"opened")]
        ]
        batch = [Record(o.topic, o.value, i, 0, o.key, o.headers) for i, o in enumerate(inbox)]
    return out


def test_the_processor_opens_one_convoy_operation_for_two_owners_entries_across_a_restart() -> None:
    p, stores = _processor()
    t = datetime.now(UTC) - timedelta(hours=1)
    first = [
        _match(plate, owner, "510000", f"510000-K{i}", t + timedelta(minutes=10 * i, seconds=s))
        for i in range(2)
        for plate, owner, s in ((A, "510000", 0), (B, "500000", 4))
    ]
    out = _until_quiet(p, stores, first, time.time())
    assert not [o for o in out if o.topic.startswith(CAT.out_prefix)]  # two checkpoints: nothing yet

    # a restart: a new processor over the same stores' contents
    p2, stores2 = _processor()
    for name in ("passes", "convoys"):
        scope = (CAT.escalate_inbox, 0)
        for k, v in stores.get(name, scope).items():
            stores2.get(name, scope)[k] = v
    third = [
        _match(A, "510000", "510000", "510000-K2", t + timedelta(minutes=20)),
        _match(B, "500000", "510000", "510000-K2", t + timedelta(minutes=20, seconds=4)),
    ]
    out = _until_quiet(p2, stores2, third, time.time())
    deliveries = [decode(o.value or b"", Delivery) for o in out if o.topic.startswith(CAT.out_prefix)]
    ops = {d.operation.operation_id for d in deliveries if d.operation}
    assert len(ops) == 1
    assert {d.recipient for d in deliveries} == {
        "510000",
        "500000",
    }  # both entries' owners, the read's region
    op = deliveries[0].operation
    assert op is not None and op.trigger == EscalationTrigger.CONVOY and len(op.evidence) == 6
    assert {r.entry_owner for r in op.evidence} == {"510000", "500000"}
    assert p2.metrics.operations.labels("convoy")._value.get() == 1
    # the same passes again (a replay) open nothing more
    assert not [
        o for o in _until_quiet(p2, stores2, third, time.time()) if o.topic.startswith(CAT.out_prefix)
    ]


def test_the_processor_skips_a_pair_of_one_plate_an_older_version_forwarded() -> None:
    p, stores = _processor()
    x, y = seen(A, "K0", 0), seen(A, "K0", 2)._replace(colour="")
    o = together_record(CAT, x, y)
    out = _turn(p, stores, [Record(o.topic, o.value, 0, 0, o.key, [(KIND_HEADER, TOGETHER)])], time.time())
    assert out == []
    assert dict(stores.get("convoys", (CAT.escalate_inbox, 0)).items()) == {}
    assert p.metrics.skipped.labels("same_plate")._value.get() == 1
