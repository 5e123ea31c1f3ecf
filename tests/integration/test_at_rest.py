"""The processors' own topics sealed at rest on a real broker: with every agreement sealing, a wanted
vehicle crossing two regions is matched, escalated across a restart and delivered sealed, and no topic of
the namespace (internal ones included) holds its plate except the regions' own inputs and the
watchlist its owner placed in clear (issue 13)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ops.keys import KeyStore, SealKeyLookup
from ops.keys.matching import add_matching_key
from ops.keys.rest import create_rest_keys
from ops.zone import apply_zone, load_zone_file
from schemas.audit import AuditRecord
from schemas.blind_entries import make_blind
from schemas.codec import decode, encode
from schemas.crypto.at_rest import is_sealed_at_rest
from schemas.delivery import Delivery, DeliveryKind
from schemas.dlq import DlqReason, parse_dlq_headers
from schemas.escalation import CheckpointSite, ClonedPlateRule, EscalationRules, MultiRegionRule
from schemas.kafka_settings import KafkaSettings
from schemas.operation import EscalationTrigger
from schemas.sealed_delivery import open_delivery
from schemas.topics import Catalogue
from schemas.watchlist import PlaceCommand
from schemas.zone import Zone
from streams.runtime import ClientFactory
from tests.support.control import running_control, wait_for
from tests.support.escalate import running_escalate, settle_hits
from tests.support.hotpath import (
    EXAMPLE_ZONE,
    HitFactory,
    make_entry,
    producer,
    publish_entries,
    running_worker,
)
from tests.support.kafka import consume_all, wait_until_committed

PLATE = "川A6Q2K8"
RULES = EscalationRules(
    multi_region=MultiRegionRule(min_regions=2, window_s=3600),
    cloned_plate=ClonedPlateRule(
        max_speed_kmh=200, road_factor=1.3, min_distance_km=20, corroborating_checkpoints=1
    ),
    checkpoints=(
        CheckpointSite(checkpoint_id="510000-CD1", lat=30.66, lon=104.07),  # 成都
        CheckpointSite(checkpoint_id="500000-CQ1", lat=29.56, lon=106.55),  # 重庆
    ),
)


def _sealing_zone(store: KeyStore) -> Zone:
    zone = load_zone_file(EXAMPLE_ZONE)
    at = datetime.now(UTC) - timedelta(minutes=1)
    keys = tuple(k for region in sorted(zone.codes) for k in store.create(region, at))
    agreements = tuple(a.model_copy(update={"seal": True}) for a in zone.agreements)
    topics = zone.topics.model_copy(update={"hit_partitions": 2, "shared_partitions": 2})
    return Zone.model_validate(
        {**zone.model_dump(), "keys": keys, "agreements": agreements, "topics": topics, "escalation": RULES}
    )


def _every_topic(kafka: KafkaSettings, cat: Catalogue) -> list[str]:
    admin = ClientFactory(kafka, "test-scan").admin()
    names = admin.list_topics(timeout=10).topics
    return sorted(t for t in names if t.startswith((f"{cat.namespace}.", cat.internal_prefix)))


def _scan(
    kafka: KafkaSettings, topics: list[str], needles: tuple[bytes, ...]
) -> tuple[Counter[str], Counter[str]]:
    """Per topic: records (committed or not) holding one of ``needles``, and records at all."""
    found: Counter[str] = Counter()
    held: Counter[str] = Counter()
    for topic in topics:
        for msg in consume_all(kafka, topic, read_committed=False, timeout=20):
            held[topic] += 1
            raw = (msg.value() or b"") + (msg.key() or b"")
            raw += b"".join(v or b"" for _, v in (msg.headers() or []))
            if any(n in raw for n in needles):
                found[topic] += 1
    return found, held


def _exchange(
    kafka: KafkaSettings, cat: Catalogue, tmp_path: Path, seal: bool = True
) -> tuple[KeyStore, Path, Zone]:
    """The zone applied (every member with keys; every agreement sealing or none), the at-rest key file."""
    store = KeyStore(tmp_path / "keys")
    zone = _sealing_zone(store)
    if not seal:
        clear = tuple(a.model_copy(update={"seal": False}) for a in zone.agreements)
        zone = zone.model_copy(update={"agreements": clear})
    apply_zone(zone, kafka, cat, secure=False)
    rest = tmp_path / "rest-key.json"
    create_rest_keys(rest, datetime.now(UTC))
    return store, rest, zone


def test_sealed_at_rest_no_internal_topic_holds_the_plate_and_state_survives_restarts(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = catalogue
    store, rest, _ = _exchange(kafka, cat, tmp_path)
    approval = {
        "unit": "四川省公安厅",
        "approver": "051234",
        "approved_at": datetime.now(UTC),
        "reference": "川公[2026]1号",
    }
    entry = make_entry("510000", PLATE, category="stolen_vehicle", approval=approval)
    place = PlaceCommand(command_id=str(uuid.uuid4()), issued_at=datetime.now(UTC), entry=entry)
    p = producer(kafka)
    p.produce(cat.in_watchlist("510000"), encode(place), entry.entry_id.encode())
    assert p.flush(10) == 0
    start = datetime.now(UTC) - timedelta(minutes=30)
    hits = HitFactory(kafka, cat)
    # the control app places the entry on rax.watchlist, sealed at rest; the hot path loads it from there
    with running_control(kafka, cat, rest_key=rest), running_worker(kafka, cat, rest_key=rest) as worker:
        wait_for(lambda: len(worker.processor.watchlist) == 1, 60, "the hot path to load the entry")  # type: ignore[attr-defined]
        with running_escalate(kafka, cat, rest_key=rest):
            hits.send("510000", PLATE, checkpoint="510000-CD1", pass_time=start)
            hits.flush()
            settle_hits(kafka, cat)
        # restarted: the first read comes back from the sealed changelog, so the second one fires
        with running_escalate(kafka, cat, rest_key=rest):
            hits.send("500000", PLATE, checkpoint="500000-CQ1", pass_time=start + timedelta(minutes=20))
            hits.flush()
            settle_hits(kafka, cat)

    # an agreement that seals seals the read of another region (the owner's own read of its own entry
    # is its own data: clear, as tests/integration/test_sealed_kinds.py covers delivery by delivery)
    owner = [decode(m.value() or b"", Delivery) for m in consume_all(kafka, cat.out("510000"))]
    assert any(d.sealed is not None for d in owner), owner
    opened = [d if d.sealed is None else open_delivery(d, SealKeyLookup(store, "510000")) for d in owner]
    triggers = Counter(d.operation.trigger for d in opened if d.operation is not None)
    assert triggers == {EscalationTrigger.MULTI_REGION: 1, EscalationTrigger.CLONED_PLATE: 1}, triggers
    assert sum(1 for d in opened if d.kind == DeliveryKind.MATCH) == 2

    topics = _every_topic(kafka, cat)
    found, held = _scan(kafka, topics, (PLATE.encode(), PLATE[1:].encode()))
    # the two reads are their regions' own data, the entry its owner's command; deliveries are the
    # sealing rule's (above); nowhere else (rax.watchlist, the changelogs, inboxes and matches sealed)
    internal = {t for t in found if not t.startswith(cat.out_prefix) and t != cat.audit}
    assert internal <= {cat.in_hits("510000"), cat.in_hits("500000"), cat.in_watchlist("510000")}, found
    assert held[cat.watchlist] >= 1, held
    needle = PLATE[1:].encode()
    for msg in consume_all(kafka, cat.audit):  # only the audit of a delivery not sealed names the plate
        if needle in (msg.value() or b""):
            assert decode(msg.value() or b"", AuditRecord).sealed_to is None
    # not vacuous: the processors' own topics were written, and sealed
    own = [t for t in topics if t in (cat.matches, cat.watchlist) or t.startswith(cat.internal_prefix)]
    assert held[cat.matches] == 2, held
    assert sum(held[t] for t in own if t.endswith("-changelog")) > 0, held
    for topic in own:
        for msg in consume_all(kafka, topic, read_committed=False, timeout=20):
            assert msg.value() is None or is_sealed_at_rest(msg.value()), (
                topic,
                msg.key(),
                msg.value()[:200],
            )


def test_a_processor_without_the_key_dead_letters_sealed_records_as_unopenable(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = catalogue
    _, rest, _ = _exchange(kafka, cat, tmp_path)
    publish_entries(kafka, cat, [make_entry("510000", PLATE, category="stolen_vehicle")])
    hits = HitFactory(kafka, cat)
    with running_worker(kafka, cat, rest_key=rest):
        hits.send("510000", PLATE, checkpoint="510000-CD1")
        hits.flush()
        wait_until_committed(kafka, f"{cat.processor_prefix}hotpath", [cat.in_hits("510000")], 60)
    with running_escalate(kafka, cat):  # no --rest-key
        wait_until_committed(kafka, f"{cat.processor_prefix}escalate", [cat.matches], 60)
    letters = consume_all(kafka, cat.dlq("escalate"), expect=1, timeout=30)
    reasons = [parse_dlq_headers(m.headers()).reason for m in letters]
    assert reasons == [DlqReason.UNOPENABLE], reasons
    assert "--rest-key" in parse_dlq_headers(letters[0].headers()).error
    # the dead letter keeps the record as it was on the topic: sealed, no plate
    assert is_sealed_at_rest(letters[0].value()) and PLATE[1:].encode() not in (letters[0].value() or b"")


def test_a_blind_entry_matched_in_two_regions_opens_a_sealed_operation_and_its_plate_stays_hidden(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = catalogue
    # no agreement seals here: the entry being blind is what seals everything it leads to
    store, rest, zone = _exchange(kafka, cat, tmp_path, seal=False)
    matching = tmp_path / "matching.json"
    key = add_matching_key(matching, datetime.now(UTC) - timedelta(minutes=1))
    entry = make_entry("510000", PLATE, category="stolen_vehicle", tolerance=1)
    publish_entries(kafka, cat, [make_blind(entry, key, zone, datetime.now(UTC))])
    start = datetime.now(UTC) - timedelta(minutes=30)
    hits = HitFactory(kafka, cat)
    with running_worker(kafka, cat, rest_key=rest, matching_keys=matching) as worker:
        blind_index = worker.processor.watchlist.blind  # type: ignore[attr-defined]
        wait_for(lambda: len(blind_index) == 1, 30, "the hot path to load the blind entry")
        with running_escalate(kafka, cat, rest_key=rest):
            hits.send("510000", PLATE, checkpoint="510000-CD1", pass_time=start)
            hits.flush()
            settle_hits(kafka, cat)  # its match is in the plate's state before the second read
            hits.send("500000", PLATE, checkpoint="500000-CQ1", pass_time=start + timedelta(minutes=20))
            hits.flush()
            settle_hits(kafka, cat)

    for region in ("510000", "500000"):
        got = [decode(m.value() or b"", Delivery) for m in consume_all(kafka, cat.out(region))]
        assert got and all(d.sealed is not None for d in got), [(d.kind, d.match or d.operation) for d in got]
        opened = [open_delivery(d, SealKeyLookup(store, region)) for d in got]
        ops = [d.operation for d in opened if d.operation is not None]
        assert Counter(op.trigger for op in ops) == {
            EscalationTrigger.MULTI_REGION: 1,
            EscalationTrigger.CLONED_PLATE: 1,  # sealed too: the plate is a blind entry's
        }, ops
        assert all(op.blind and op.plate == PLATE for op in ops), ops
    found, held = _scan(kafka, _every_topic(kafka, cat), (PLATE.encode(), PLATE[1:].encode()))
    assert set(found) == {cat.in_hits("510000"), cat.in_hits("500000")}, found  # the reads, nowhere else
    assert held[cat.matches] == 2, held  # the blind matches reached the escalate processor, sealed
