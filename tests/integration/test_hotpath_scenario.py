"""The hot path on the real broker: known hits in, exactly the expected deliveries out (read committed)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from schemas.audit import AuditRecord
from schemas.codec import decode
from schemas.delivery import Delivery
from schemas.dlq import parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.support.hotpath import HitFactory, apply_example_zone, make_entry, publish_entries, running_worker
from tests.support.kafka import consume_all

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
        e_refused = hits.send("510904", "渝C33333")
        hits.send("510521", "川F00000")  # matches nothing
        hits.flush()

        expected = {
            (e_exact, exact.entry_id, "500153"),
            (e_exact, exact.entry_id, "510521"),
            (e_misread, misread.entry_id, "500000"),
            (e_misread, misread.entry_id, "510521"),
            (e_partial, partial.entry_id, "510521"),
            (e_partial, partial.entry_id, "500153"),
            (e_refused, no_agreement.entry_id, "500152"),
        }
        got = _wait_for(kafka, cat, len(expected))
        time.sleep(1.0)  # anything extra would have arrived by now
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
        no_agreement.entry_id: "exact",
    }
    to_luxian = [
        d for d in got if d.recipient == "510521" and d.match and d.match.entry_id == misread.entry_id
    ]
    assert to_luxian[0].match is not None and to_luxian[0].match.image_ref is None  # cq-to-lx redacts images

    dead = consume_all(kafka, cat.dlq("hotpath"))
    assert [parse_dlq_headers(m.headers()).reason.value for m in dead] == ["region_mismatch"]
    audits = [decode(m.value() or b"", AuditRecord) for m in consume_all(kafka, cat.audit)]
    assert {a.reason.value for a in audits} >= {"owner", "agreement", "no_agreement", "impersonation"}
    refused = [a for a in audits if a.decision.value == "refused" and a.reason.value == "no_agreement"]
    # 安居 has no agreement with 潼南; 荣昌 subscribes to 泸县's hits but has none from 重庆
    assert sorted((a.recipient, a.owner) for a in refused) == [("500153", "500000"), ("510904", "500152")]


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
            time.sleep(0.05)
        time.sleep(1.5)
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
        got = _wait_for(kafka, cat, 4)
        time.sleep(1.0)
        got = _all_deliveries(kafka, cat)
        assert worker.processor.metrics.duplicates.labels("510521")._value.get() == 2
    assert sorted(d.match.hit_event_id for d in got if d.match) == sorted([first, first, later, later])
