"""Sealed deliveries on a real broker: the hot path seals under a sealing agreement, the tail opens them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from click.testing import CliRunner

from ops.cli import main
from ops.keys import KeyStore
from ops.zone import apply_zone, load_zone_file
from schemas.audit import AuditRecord
from schemas.codec import decode
from schemas.delivery import Delivery
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from schemas.zone import Zone
from tests.support.hotpath import (
    EXAMPLE_ZONE,
    HitFactory,
    make_entry,
    publish_entries,
    running_worker,
    wait_hotpath_caught_up,
)
from tests.support.kafka import consume_all

PLATE = "川A7S2Q9"


def _sealing_zone(keys: KeyStore) -> Zone:
    zone = load_zone_file(EXAMPLE_ZONE)
    records = keys.create("510521", datetime.now(UTC) - timedelta(minutes=1))
    agreements = tuple(
        a.model_copy(update={"seal": True}) if a.agreement_id == "rc-lx-joint-office" else a
        for a in zone.agreements
    )
    topics = zone.topics.model_copy(update={"hit_partitions": 3, "shared_partitions": 3})
    data = {**zone.model_dump(), "agreements": agreements, "keys": records, "topics": topics}
    return Zone.model_validate(data)


def _tail(kafka: KafkaSettings, cat: Catalogue, home: Path, *extra: str) -> list[dict[str, object]]:
    args = ["centre", "tail", "--region", "510521", "--namespace", cat.namespace, "--json"]
    args += ["--bootstrap", kafka.bootstrap_servers, "--idle-exit", "3", *extra]
    result = CliRunner().invoke(main, args, env={"RAX_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return [orjson.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_a_sealed_match_crosses_the_broker_as_ciphertext_and_opens_at_the_recipient(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = catalogue
    store = KeyStore(tmp_path / "keys")
    apply_zone(_sealing_zone(store), kafka, cat, secure=False)
    publish_entries(kafka, cat, [make_entry("500153", PLATE, category="fugitive")])
    with running_worker(kafka, cat):
        hits = HitFactory(kafka, cat)
        hits.send("510521", PLATE)
        hits.flush()
        wait_hotpath_caught_up(kafka, cat)

    raw = [m.value() or b"" for m in consume_all(kafka, cat.out("510521"))]
    assert len(raw) == 1
    assert PLATE.encode() not in raw[0] and PLATE[1:].encode() not in raw[0]
    sealed = decode(raw[0], Delivery)
    assert sealed.sealed is not None and sealed.match is None
    audits = [decode(m.value() or b"", AuditRecord) for m in consume_all(kafka, cat.audit)]
    (audit,) = [a for a in audits if a.delivery_id == sealed.delivery_id]
    assert audit.sealed_to == sealed.sealed.key_id and audit.plates == ()
    # the owner's own delivery is under no agreement, so in clear
    (own,) = [decode(m.value() or b"", Delivery) for m in consume_all(kafka, cat.out("500153"))]
    assert own.match is not None and own.match.plate == PLATE

    (opened,) = _tail(kafka, cat, tmp_path / "home", "--keys", str(tmp_path / "keys"))
    assert opened["delivery_id"] == sealed.delivery_id and opened["plate"] == PLATE
    # a client without the region's keys shows it sealed (not dropped, not in clear)
    (unopened,) = _tail(kafka, cat, tmp_path / "other", "--keys", str(tmp_path / "none"), "--name", "wall")
    assert unopened["sealed_to"] == sealed.sealed.key_id and "plate" not in unopened
