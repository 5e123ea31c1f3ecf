"""Escalation on the real broker: a vehicle crossing regions opens one operation per rule, delivered to
the involved regions, and restarting the processor mid-stream fires nothing twice; the owner closes an
operation once, and its regions are told (issue 14)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from ops.centre import close_operation, read_operations
from ops.centre.operations import AgreementTerms, agree_operation
from ops.zone import apply_zone, load_zone_file
from schemas.audit import AuditRecord
from schemas.codec import decode
from schemas.delivery import Delivery, DeliveryKind
from schemas.delivery_notice import DeliveryNotice
from schemas.dlq import DlqReason, parse_dlq_headers
from schemas.escalation import CheckpointSite, ClonedPlateRule, EscalationRules, MultiRegionRule
from schemas.kafka_settings import KafkaSettings
from schemas.operation import EscalationTrigger, OperationOutcome
from schemas.sharing import RedactField
from schemas.topics import Catalogue
from schemas.vocab import Category
from streams.escalate.intake import partition_of
from tests.support.control import wait_for
from tests.support.escalate import running_escalate, settle_hits
from tests.support.hotpath import (
    EXAMPLE_ZONE,
    HitFactory,
    make_entry,
    publish_entries,
    running_worker,
)
from tests.support.kafka import consume_all, wait_until_committed

RULES = EscalationRules(
    multi_region=MultiRegionRule(min_regions=2, window_s=3600),
    cloned_plate=ClonedPlateRule(
        max_speed_kmh=200, road_factor=1.3, min_distance_km=20, corroborating_checkpoints=1
    ),  # the rule itself is tested with its default corroboration in tests/unit/test_escalate_rules.py
    checkpoints=(
        CheckpointSite(checkpoint_id="510000-CD1", lat=30.66, lon=104.07),  # 成都
        CheckpointSite(checkpoint_id="500000-CQ1", lat=29.56, lon=106.55),  # 重庆
    ),
)


def _apply(kafka: KafkaSettings, cat: Catalogue) -> None:
    zone = load_zone_file(EXAMPLE_ZONE)
    topics = zone.topics.model_copy(update={"hit_partitions": 3, "shared_partitions": 3})
    apply_zone(zone.model_copy(update={"topics": topics, "escalation": RULES}), kafka, cat, secure=False)


_escalate = running_escalate
_settle = settle_hits


def _operations(kafka: KafkaSettings, cat: Catalogue, region: str) -> list[Delivery]:
    out = [decode(m.value() or b"", Delivery) for m in consume_all(kafka, cat.out(region))]
    return [d for d in out if d.kind == DeliveryKind.OPERATION]


def test_a_vehicle_crossing_regions_opens_each_operation_once_across_restarts(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    cat = catalogue
    _apply(kafka, cat)
    publish_entries(kafka, cat, [make_entry("510000", "川A12345", category="stolen_vehicle")])
    start = datetime.now(UTC) - timedelta(minutes=30)
    hits = HitFactory(kafka, cat)
    with running_worker(kafka, cat):
        with _escalate(kafka, cat):
            hits.send("510000", "川A12345", checkpoint="510000-CD1", pass_time=start)
            hits.flush()
            _settle(kafka, cat)
        assert _operations(kafka, cat, "510000") == []  # one region, one read: nothing yet

        with _escalate(kafka, cat):  # restarted: the first read comes back from the changelog
            again = start + timedelta(minutes=20)  # ~350 km by road in 20 minutes: a cloned plate too
            hits.send("500000", "川A12345", checkpoint="500000-CQ1", pass_time=again)
            hits.flush()
            _settle(kafka, cat)

        with _escalate(kafka, cat):  # restarted after firing: later reads fire nothing more
            hits.send("500000", "川A12345", checkpoint="500000-CQ1", pass_time=again + timedelta(minutes=1))
            hits.send("510000", "川A12345", checkpoint="510000-CD1", pass_time=again + timedelta(minutes=2))
            hits.flush()
            _settle(kafka, cat)

    for region in ("510000", "500000"):
        ops = _operations(kafka, cat, region)
        triggers = Counter(d.operation.trigger for d in ops if d.operation is not None)
        assert triggers == {EscalationTrigger.MULTI_REGION: 1, EscalationTrigger.CLONED_PLATE: 1}, region
        multi = next(d.operation for d in ops if d.operation and d.operation.trigger == "multi_region")
        assert multi is not None
        assert [r.region for r in multi.evidence] == ["510000", "500000"]
        assert multi.owner == "510000" and multi.regions == ("500000", "510000")
    audits = [decode(m.value() or b"", AuditRecord) for m in consume_all(kafka, cat.audit)]
    operation_audits = [a for a in audits if a.kind == DeliveryKind.OPERATION]
    assert len(operation_audits) == 4 and len({a.delivery_id for a in operation_audits}) == 4


def _settle_escalate(kafka: KafkaSettings, cat: Catalogue) -> None:
    """The escalate processor has committed everything there is, through its inbox's hops."""
    inputs = [cat.in_hits(r) for r in ("510000", "500000")] + [
        cat.in_operations(r) for r in ("510000", "500000")
    ]
    for _ in range(3):  # input → inbox → operation kept / closed
        wait_until_committed(kafka, f"{cat.processor_prefix}escalate", [*inputs, cat.escalate_inbox])


def test_the_owner_closes_a_cloned_plate_operation_once_across_a_restart(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    cat = catalogue
    _apply(kafka, cat)
    start = datetime.now(UTC) - timedelta(minutes=30)
    hits = HitFactory(kafka, cat)
    with _escalate(kafka, cat):
        hits.send("510000", "沪B77777", checkpoint="510000-CD1", pass_time=start)
        hits.send("500000", "沪B77777", checkpoint="500000-CQ1", pass_time=start + timedelta(minutes=20))
        hits.flush()
        _settle_escalate(kafka, cat)
        (known,) = read_operations(kafka, cat, "510000").values()
        op = known.operation
        assert op.trigger == EscalationTrigger.CLONED_PLATE and op.owner == "500000"
        assert known.closure is None
        close_operation(kafka, cat, "510000", op.operation_id, OperationOutcome.CONFIRMED)  # not the owner
        close_operation(kafka, cat, "500000", op.operation_id, OperationOutcome.CONFIRMED, "plates seized")
        _settle_escalate(kafka, cat)
    with _escalate(kafka, cat):  # restarted: the operation and its end come back from the changelog
        close_operation(kafka, cat, "500000", op.operation_id, OperationOutcome.FALSE_ALARM)
        _settle_escalate(kafka, cat)

    for region in ("510000", "500000"):
        closed = read_operations(kafka, cat, region)[op.operation_id].closure
        assert closed is not None and closed.outcome == OperationOutcome.CONFIRMED, region
        assert closed.note == "plates seized"
        kinds = Counter(decode(m.value() or b"", Delivery).kind for m in consume_all(kafka, cat.out(region)))
        assert kinds == {DeliveryKind.OPERATION: 1, DeliveryKind.OPERATION_CLOSED: 1}, region
    audits = [decode(m.value() or b"", AuditRecord) for m in consume_all(kafka, cat.audit)]
    assert Counter(a.kind for a in audits) == {DeliveryKind.OPERATION: 2, DeliveryKind.OPERATION_CLOSED: 2}
    notices = [decode(m.value() or b"", DeliveryNotice) for m in consume_all(kafka, cat.control_inbox)]
    assert sorted(n.recipient for n in notices if n.kind == DeliveryKind.OPERATION) == ["500000", "510000"]
    (letter,) = [parse_dlq_headers(m.headers()) for m in consume_all(kafka, cat.dlq("escalate"))]
    assert letter.reason == DlqReason.NOT_AUTHORISED and letter.source_topic == cat.in_operations("510000")


def test_matches_flow_to_an_operations_members_under_its_temporary_agreement(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    """重庆 owns a cloned-plate operation (四川 a member) and agrees drugs for it: its own drugs entry's
    match on the plate, which the standing decision gives to 重庆 alone, reaches 四川 too, until closed."""
    cat = catalogue
    _apply(kafka, cat)
    publish_entries(kafka, cat, [make_entry("500000", "渝C55555", category="drugs", priority="normal")])
    start = datetime.now(UTC) - timedelta(minutes=30)
    hits = HitFactory(kafka, cat)
    with running_worker(kafka, cat), _escalate(kafka, cat):
        hits.send("510000", "渝C55555", checkpoint="510000-CD1", pass_time=start)
        hits.send("500000", "渝C55555", checkpoint="500000-CQ1", pass_time=start + timedelta(minutes=20))
        hits.flush()
        _settle(kafka, cat)
        _settle_escalate(kafka, cat)
        known = read_operations(kafka, cat, "500000").values()
        (op,) = [k.operation for k in known if k.operation.trigger == EscalationTrigger.CLONED_PLATE]
        assert op.owner == "500000"
        terms = AgreementTerms((Category.DRUGS,), (RedactField.IMAGE_REF,), "interception", "专项 协查", 24)
        cmd = agree_operation(kafka, cat, "500000", op.operation_id, terms, "500000-0042")
        _settle_escalate(kafka, cat)
        hits.send("500000", "渝C55555", checkpoint="500000-CQ2", pass_time=start + timedelta(minutes=25))
        hits.flush()
        _settle(kafka, cat)
        _settle_escalate(kafka, cat)
        close_operation(kafka, cat, "500000", op.operation_id, OperationOutcome.CONFIRMED)
        _settle_escalate(kafka, cat)
        hits.send("500000", "渝C55555", checkpoint="500000-CQ3", pass_time=start + timedelta(minutes=28))
        hits.flush()
        _settle(kafka, cat)
        _settle_escalate(kafka, cat)

    given = [decode(m.value() or b"", Delivery) for m in consume_all(kafka, cat.out("510000"))]
    # the hot path gave 四川 the match on its own read (CD1); under the agreement it gets the one read in
    # 重庆 while the agreement was in force (CQ2), not the one before it (CQ1) nor after the close (CQ3)
    matches = [d for d in given if d.kind == DeliveryKind.MATCH and d.match is not None]
    assert sorted(d.match.checkpoint_id or "" for d in matches if d.match) == ["500000-CQ2", "510000-CD1"]
    (flowed,) = [d for d in matches if d.agreement_id == cmd.agreement_id]
    assert flowed.match is not None
    assert flowed.match.checkpoint_id == "500000-CQ2" and "image_ref" not in flowed.match.redacted
    audits = [decode(m.value() or b"", AuditRecord) for m in consume_all(kafka, cat.audit)]
    temporary = [a for a in audits if a.reason == "temporary_agreement"]
    # the agreement itself, audited for both members, and the one match disclosed under it
    assert Counter(a.kind for a in temporary) == {DeliveryKind.OPERATION: 2, DeliveryKind.MATCH: 1}


def test_two_workers_split_the_inbox_and_each_clone_opens_once_whichever_worker_reads_its_hits(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    """A read whose plate's inbox partition the reading worker holds is decided at once; the others are
    forwarded to the worker holding it. Either way each plate's two reads meet in one store. (How the
    group spreads the partitions is the assignor's: the forwards expected are worked out from it.)"""
    cat = catalogue
    _apply(kafka, cat)
    start = datetime.now(UTC) - timedelta(minutes=30)
    plates = [f"沪C{n:05d}" for n in range(1, 25)]
    hits = HitFactory(kafka, cat)
    with _escalate(kafka, cat, "0") as first, _escalate(kafka, cat, "1") as second:
        loops = (first, second)

        def split() -> bool:  # both hold partitions, every inbox partition is held and restored
            held = {s for loop in loops for s in loop._assigned if s[0] == cat.escalate_inbox}
            both = all(loop._assigned for loop in loops)
            return both and len(held) == 3 and not any(loop._to_restore for loop in loops)

        wait_for(split, 60, "the two workers share the work")
        owner = {s: i for i, loop in enumerate(loops) for s in loop._assigned}
        before = [set(loop._assigned) for loop in loops]
        for plate in plates:
            hits.send("510000", plate, checkpoint="510000-CD1", pass_time=start)
            hits.send("500000", plate, checkpoint="500000-CQ1", pass_time=start + timedelta(minutes=20))
        hits.flush()
        for _ in range(2):  # read (and decided, or forwarded) → decided from the inbox
            wait_until_committed(
                kafka,
                f"{cat.processor_prefix}escalate",
                [cat.in_hits("510000"), cat.in_hits("500000"), cat.escalate_inbox],
            )
        wait_for(lambda: len(_operations(kafka, cat, "510000")) == len(plates), 60, "one operation a plate")
        # no rebalance while the reads went through: the expected forwards below hold
        assert [set(loop._assigned) for loop in loops] == before

    for region in ("510000", "500000"):
        ops = [d.operation for d in _operations(kafka, cat, region) if d.operation is not None]
        assert Counter(op.plate for op in ops) == dict.fromkeys(plates, 1), region
    # a read was forwarded exactly when another worker held its plate's inbox partition
    inbox = consume_all(kafka, cat.escalate_inbox)
    forwarded = Counter(
        (m.key() or b"").decode() for m in inbox if not m.headers() and (m.key() or b"").decode() in plates
    )
    read = [m for t in (cat.in_hits("510000"), cat.in_hits("500000")) for m in consume_all(kafka, t)]
    expected: Counter[str] = Counter()
    for m in read:
        plate = (m.key() or b"").decode()
        reader = owner[(m.topic() or "", m.partition() or 0)]
        if owner[(cat.escalate_inbox, partition_of(plate.encode(), 3))] != reader:
            expected[plate] += 1
    assert forwarded == expected  # (the assignor usually makes both kinds: whole topics to one worker)
