"""A blind entry on a real broker: placed as tokens, matched by the hot path, no clear plate on any topic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ops.keys import KeyStore, SealKeyLookup
from ops.keys.matching import add_matching_key
from ops.zone import apply_zone, load_zone_file
from schemas.blind_entries import make_blind, open_entry_details
from schemas.codec import decode, encode
from schemas.delivery import Delivery
from schemas.kafka_settings import KafkaSettings
from schemas.sealed_delivery import open_delivery
from schemas.topics import Catalogue
from schemas.watchlist import PlaceCommand
from schemas.zone import Zone
from streams.runtime import ClientFactory
from tests.support.control import running_control, wait_for
from tests.support.hotpath import EXAMPLE_ZONE, HitFactory, make_entry, producer, running_worker
from tests.support.kafka import consume_all, wait_until_committed

PLATE = "川A8K3M7"
DESCRIPTION = "黑色大众 前保险杠破损"


def _zone(store: KeyStore) -> Zone:
    zone = load_zone_file(EXAMPLE_ZONE)
    at = datetime.now(UTC) - timedelta(minutes=1)
    keys = (*store.create("500153", at), *store.create("510521", at))
    topics = zone.topics.model_copy(update={"hit_partitions": 1, "shared_partitions": 1})
    return Zone.model_validate({**zone.model_dump(), "keys": keys, "topics": topics})


def _scan(kafka: KafkaSettings, cat: Catalogue, needles: tuple[bytes, ...]) -> dict[str, int]:
    """Per topic of the namespace, how many records (committed or not) hold one of ``needles``."""
    admin = ClientFactory(kafka, "test-scan").admin()
    topics = [t for t in admin.list_topics(timeout=10).topics if t.startswith(f"{cat.namespace}.")]
    found: dict[str, int] = {}
    for topic in topics:
        for msg in consume_all(kafka, topic, read_committed=False, timeout=20):
            raw = (msg.value() or b"") + (msg.key() or b"")
            raw += b"".join(v or b"" for _, v in (msg.headers() or []))
            if any(n in raw for n in needles):
                found[topic] = found.get(topic, 0) + 1
    return found


def test_a_blind_entry_matches_and_its_plate_is_on_no_topic_but_the_readers_own_input(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = catalogue
    store = KeyStore(tmp_path / "keys")
    zone = _zone(store)
    apply_zone(zone, kafka, cat, secure=False)
    matching = tmp_path / "matching.json"
    key = add_matching_key(matching, datetime.now(UTC) - timedelta(minutes=1))
    now = datetime.now(UTC)
    approval = {
        "unit": "荣昌区公安分局",
        "approver": "051234",
        "approved_at": now,
        "reference": "荣公布[2026]9号",
    }
    clear = make_entry(
        "500153", PLATE, category="fugitive", tolerance=1, description=DESCRIPTION, approval=approval
    )
    blind = make_blind(clear, key, zone, datetime.now(UTC))
    place = PlaceCommand(command_id=str(uuid.uuid4()), issued_at=datetime.now(UTC), entry=blind)
    p = producer(kafka)
    p.produce(cat.in_watchlist("500153"), encode(place), blind.entry_id.encode())
    assert p.flush(10) == 0

    with running_control(kafka, cat), running_worker(kafka, cat, matching_keys=matching) as worker:
        hits = HitFactory(kafka, cat)
        misread = PLATE.replace("8", "B")  # a look-alike misread of the blind plate
        placed = consume_all(kafka, cat.watchlist, expect=1, timeout=60)
        assert placed, "the control app did not place the blind entry"
        blind_index = worker.processor.watchlist.blind  # type: ignore[attr-defined]
        wait_for(lambda: len(blind_index) == 1, 30, "the hot path to load the blind entry")
        hits.send("510521", misread)
        hits.send("510521", PLATE, checkpoint="510521-K0002")
        hits.flush()
        wait_until_committed(kafka, f"{cat.processor_prefix}hotpath", [cat.in_hits("510521")], 60)

    to_partner = [decode(m.value() or b"", Delivery) for m in consume_all(kafka, cat.out("510521"))]
    assert len(to_partner) == 2 and all(d.sealed is not None for d in to_partner)
    opened = [open_delivery(d, SealKeyLookup(store, "510521")) for d in to_partner]
    kinds = sorted(d.match.kind.value for d in opened if d.match is not None)
    assert kinds == ["exact", "misread"]
    details = open_entry_details(opened[0], SealKeyLookup(store, "510521"))
    assert details is not None and details["plate"] == PLATE and details["description"] == DESCRIPTION
    owner = [decode(m.value() or b"", Delivery) for m in consume_all(kafka, cat.out("500153"))]
    assert len(owner) == 2 and all(d.sealed is not None for d in owner)

    needles = (PLATE.encode(), PLATE[1:].encode(), DESCRIPTION.encode())
    found = _scan(kafka, cat, needles)
    # the read is the reading region's own data, on its own input topic: nowhere else
    assert set(found) == {cat.in_hits("510521")}, found
