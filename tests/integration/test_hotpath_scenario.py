"""The hot path on the real broker: known hits in, exactly the expected deliveries out (read committed)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

from confluent_kafka.admin import ConfigResource, ResourceType
from pydantic import BaseModel, ConfigDict

from connectors.sdk import Batch, Position, RecordKind, Runtime, RuntimeConfig, Source, SourceRecord
from schemas.audit import AuditRecord, ConsentSide
from schemas.base import stable_event_id
from schemas.codec import decode
from schemas.delivery import Delivery
from schemas.dlq import parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory
from tests.support.hotpath import (
    HitFactory,
    apply_example_zone,
    make_entry,
    publish_entries,
    running_worker,
    wait_hotpath_caught_up,
)
from tests.support.kafka import consume_all
from tests.unit.models_factories import hit_data

REGIONS = ["510000", "500000", "500153", "510521", "500116", "510522", "500152", "510904"]


def _all_deliveries(kafka: KafkaSettings, cat: Catalogue) -> list[Delivery]:
    out = []
    for region in REGIONS:
        out += [decode(m.value() or b"", Delivery) for m in consume_all(kafka, cat.out(region))]
    return out


def _wait_for(kafka: KafkaSettings, cat: Catalogue, count: int, timeout: float = 30.0) -> list[Delivery]:
    deadline = time.monotonic() + timeout
    got: list[Delivery] = []
    while time.monotonic() < deadline:
        got = _all_deliveries(kafka, cat)
        if len(got) >= count:
            break
        time.sleep(0.3)
    return got


def test_scenario_delivers_exactly_what_the_agreements_allow(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    cat = catalogue
    apply_example_zone(kafka, cat)
    now = datetime.now(UTC)
    exact = make_entry("500153", "川A12345", category="fugitive")  # 荣昌's fugitive
    misread = make_entry("500000", "渝B88888", category="stolen_vehicle", tolerance=1)
    partial = make_entry("510521", "川E7?3*", category="missing_person", tolerance=0)
    expired = make_entry(
        "510521",
        "川C11111",
        expires_at=(now - timedelta(seconds=5)).isoformat(),
        placed_at=(now - timedelta(days=2)).isoformat(),
    )
    withdrawn = make_entry("510521", "川D22222")
    no_agreement = make_entry("500152", "渝C33333", category="stolen_vehicle")  # 潼南; 安居 has no agreement
    publish_entries(
        kafka,
        cat,
        [exact, misread, partial, expired, withdrawn, no_agreement],
        tombstones=[withdrawn.entry_id],
    )

    with running_worker(kafka, cat):
        hits = HitFactory(kafka, cat)
        e_exact = hits.send("510521", "川A12345", checkpoint="510521-K0007")
        hits.send("510521", "川A12345", checkpoint="510521-K0007")  # a second camera, same pass
        e_misread = hits.send("510521", "渝B8888B")  # 8/B look-alike
        e_partial = hits.send("500153", "川E76345")
        hits.send("500153", "川A12345", topic_region="510521")  # 510521 publishing as 荣昌
        hits.send("510521", "川C11111")  # expired entry
        hits.send("510521", "川D22222")  # withdrawn entry
        hits.send("510904", "渝C33333")  # 潼南's entry read by 安居's camera
        hits.send("510521", "川F00000")  # matches nothing
        hits.flush()

        expected = {
            (e_exact, exact.entry_id, "500153"),
            (e_exact, exact.entry_id, "510521"),
            (e_misread, misread.entry_id, "500000"),
            (e_misread, misread.entry_id, "510521"),
            (e_partial, partial.entry_id, "510521"),
            (e_partial, partial.entry_id, "500153"),
        }  # 潼南's entry read by 安居's camera: neither side agreed, so no one learns of it
        _wait_for(kafka, cat, len(expected))
        wait_hotpath_caught_up(kafka, cat)  # every hit committed: anything extra has been written
        got = _all_deliveries(kafka, cat)

    assert all(d.match is not None for d in got)
    seen = {(d.match.hit_event_id, d.match.entry_id, d.recipient) for d in got if d.match}
    assert seen == expected
    assert len(got) == len(expected), "a delivery was written twice"
    kinds = {d.match.entry_id: d.match.kind.value for d in got if d.match}
    assert kinds == {
        exact.entry_id: "exact",
        misread.entry_id: "misread",
        partial.entry_id: "partial",
    }
    to_luxian = [
        d for d in got if d.recipient == "510521" and d.match and d.match.entry_id == misread.entry_id
    ]
    assert to_luxian[0].match is not None and to_luxian[0].match.image_ref is None  # cq-to-lx redacts images

    dead = consume_all(kafka, cat.dlq("hotpath"))
    assert [parse_dlq_headers(m.headers()).reason.value for m in dead] == ["region_mismatch"]
    audits = [decode(m.value() or b"", AuditRecord) for m in consume_all(kafka, cat.audit)]
    # every read here is another region's than its entry's owner: each disclosure is under an agreement
    assert {a.reason.value for a in audits} == {"agreement", "no_agreement", "impersonation"}
    refused = [a for a in audits if a.decision.value == "refused" and a.reason.value == "no_agreement"]
    # 安居 has no agreement with 潼南 (nor 潼南 with 安居: the owner does not learn of 安居's read);
    # 荣昌 subscribes to 泸县's hits but has none from 重庆
    assert sorted((a.recipient, a.owner, a.refused_by) for a in refused) == [
        ("500152", "500152", ConsentSide.READ),
        ("500153", "500000", ConsentSide.ENTRY),
        ("510904", "500152", ConsentSide.ENTRY),
    ]


def test_withdrawal_stops_matching_within_a_second(kafka: KafkaSettings, catalogue: Catalogue) -> None:
    cat = catalogue
    apply_example_zone(kafka, cat)
    e = make_entry("510521", "川A54321")
    publish_entries(kafka, cat, [e])
    with running_worker(kafka, cat):
        hits = HitFactory(kafka, cat)
        sent: dict[str, float] = {}
        withdrawn_at = 0.0
        t_end = time.monotonic() + 4.0
        i = 0
        while time.monotonic() < t_end:
            if not withdrawn_at and time.monotonic() > t_end - 2.5:
                publish_entries(kafka, cat, [], tombstones=[e.entry_id])
                withdrawn_at = time.time()
            i += 1
            event = hits.send("510521", "川A54321", checkpoint=f"510521-K{i:04d}")  # a new pass each time
            sent[event] = time.time()
            hits.flush()
            time.sleep(0.05)  # pacing: a pass every 50 ms, before and after the withdrawal
        wait_hotpath_caught_up(kafka, cat)
        delivered = [decode(m.value() or b"", Delivery) for m in consume_all(kafka, cat.out("510521"))]
    matched_at = sorted(sent[d.match.hit_event_id] for d in delivered if d.match)
    assert matched_at, "the entry never matched before its withdrawal"
    last_match_after_withdrawal = matched_at[-1] - withdrawn_at
    print(f"last match {last_match_after_withdrawal * 1000:.0f} ms after the withdrawal was published")
    assert last_match_after_withdrawal < 1.0
    assert any(t > withdrawn_at + 1.0 for t in sent.values()), "hits kept coming after the withdrawal"


def test_dedup_survives_a_hand_over_by_restoring_from_its_changelog(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    cat = catalogue
    apply_example_zone(kafka, cat)
    e = make_entry("510521", "川A24680")
    publish_entries(kafka, cat, [e])
    hits = HitFactory(kafka, cat)
    first_pass = datetime.now(UTC)
    with running_worker(kafka, cat):
        first = hits.send("510521", "川A24680", checkpoint="510521-K0042", pass_time=first_pass)
        hits.send("510521", "川B00001")  # other traffic, committed with it
        hits.flush()
        assert len(_wait_for(kafka, cat, 2)) == 2  # 泸县 owns it, 荣昌 subscribes to 泸县's hits
    # a new worker (another id: a scale-out, not a restart) must remember the pass from the changelog
    with running_worker(kafka, cat, worker_id="7") as worker:
        hits.send("510521", "川A24680", checkpoint="510521-K0042", event_id=first)  # a connector retry
        hits.send(
            "510521", "川A24680", checkpoint="510521-K0042", pass_time=first_pass + timedelta(seconds=3)
        )
        later = hits.send(
            "510521", "川A24680", checkpoint="510521-K0042", pass_time=first_pass + timedelta(seconds=30)
        )
        hits.flush()
        _wait_for(kafka, cat, 4)
        wait_hotpath_caught_up(kafka, cat)  # every hit committed: a duplicate let through would show
        got = _all_deliveries(kafka, cat)
        assert worker.processor.metrics.duplicates.labels("510521")._value.get() == 2
    assert sorted(d.match.hit_event_id for d in got if d.match) == sorted([first, first, later, later])
    # the changelog it restored from drops deleted chunks' tombstones after a minute (docs/runtime.md)
    admin = ClientFactory(kafka, "test-admin").admin()
    res = ConfigResource(ResourceType.TOPIC, cat.changelog("hotpath", "dedup"))
    configs = next(iter(admin.describe_configs([res]).values())).result(30)
    assert (configs["delete.retention.ms"].value, configs["segment.ms"].value) == ("60000", "60000")


class _ReadsConfig(BaseModel):
    """Plates as a camera at 泸县 read them, in order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plates: tuple[str, ...]


class _ReadsSource(Source[_ReadsConfig]):
    """A checkpoint connector that publishes one hit per plate read, then ends."""

    name, kind, config_model = "reads", RecordKind.HITS, _ReadsConfig
    summary: ClassVar[str] = "publishes a fixed list of plate reads"

    def setup(self, position: Position | None) -> None:
        self.done = bool(position)

    def poll(self, timeout: float) -> Batch:
        if self.done:
            return Batch(end=True)
        self.done = True
        now = datetime.now(UTC).isoformat()
        records = [
            SourceRecord(
                value=hit_data(
                    event_id=stable_event_id("510521", "K0007", plate, now),
                    region="510521",
                    checkpoint_id="510521-K0007",
                    plate=plate,
                    pass_time=now,
                ),
                raw=plate.encode(),
                origin=f"read #{i}",
            )
            for i, plate in enumerate(self.config.plates)
        ]
        return Batch(records=records, position={"done": True})


def test_scenario_misreads_that_change_the_letter_count_are_matched_with_their_edits(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    """Reads breaking an issuing rule pass the connector, match, and every match states its edits."""
    cat = catalogue
    apply_example_zone(kafka, cat)
    wanted = make_entry("510521", "川A62E1N", tolerance=1)  # read as 川A6ZE1N: 3 letters in the serial
    chosen = make_entry("510521", "川a06tel", tolerance=0)  # a real plate with a 3-letter serial
    two = make_entry("500000", "渝B88D12", tolerance=2)  # read as 渝BB8D1Z: two edits, 3 letters
    authority = make_entry("510521", "川B12345", tolerance=1)  # read as 川812345: a digit for the B
    assert chosen.plate == "川A06TEL" and chosen.plate_warnings[0].startswith("serial_letters: ")
    assert wanted.plate_warnings == two.plate_warnings == ()
    publish_entries(kafka, cat, [wanted, chosen, two, authority])

    reads = ("川A6ZE1N", "川A06TEL", "渝BB8D1Z", "川812345", "川A6XE1N", "川A12B4")
    with running_worker(kafka, cat):
        config = RuntimeConfig(region="510521", namespace=cat.namespace, state_dir=tmp_path / "state")
        report = Runtime(_ReadsSource, _ReadsConfig(plates=reads), config, kafka).run()
        # only 川A12B4 (6 characters with a letter) cannot be a plate read; 川A6XE1N matches nothing
        assert (report.records_out, report.rejected) == (5, 1)
        expected = {
            ("川A6ZE1N", wanted.entry_id, "510521"),
            ("川A6ZE1N", wanted.entry_id, "500153"),  # 荣昌 subscribes to 泸县's hits
            ("川A06TEL", chosen.entry_id, "510521"),
            ("川A06TEL", chosen.entry_id, "500153"),
            ("渝BB8D1Z", two.entry_id, "500000"),
            ("渝BB8D1Z", two.entry_id, "510521"),
            ("川812345", authority.entry_id, "510521"),
            ("川812345", authority.entry_id, "500153"),
        }
        _wait_for(kafka, cat, len(expected))
        wait_hotpath_caught_up(kafka, cat)  # every hit committed: anything extra has been written
        got = _all_deliveries(kafka, cat)

    notices = [d.match for d in got if d.match is not None]
    assert len(notices) == len(got) == len(expected), "a delivery is missing, extra or written twice"
    assert {(n.plate, n.entry_id, d.recipient) for d, n in zip(got, notices, strict=True)} == expected
    how = {(n.plate, n.kind.value, n.edits, n.conforms, n.breaks and n.breaks.value) for n in notices}
    assert how == {
        ("川A6ZE1N", "misread", 1, False, "serial_letters"),
        ("川A06TEL", "exact", 0, False, "serial_letters"),
        ("渝BB8D1Z", "misread", 2, False, "serial_letters"),
        ("川812345", "misread", 1, False, "authority_letter"),
    }
    dead = consume_all(kafka, cat.dlq("connector", "510521"), expect=1, timeout=10)
    assert [parse_dlq_headers(m.headers()).reason.value for m in dead] == ["schema_violation"]
    assert "expected 7 characters for an ordinary plate, got 6" in parse_dlq_headers(dead[0].headers()).error
    assert consume_all(kafka, cat.dlq("hotpath")) == []
