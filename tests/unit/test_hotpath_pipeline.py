"""The hot path's batch logic without Kafka: dedup, matching, recipients, redaction, refusals, DLQ."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from ops.zone import load_zone_file
from schemas.audit import AuditRecord, ConsentSide
from schemas.codec import decode, encode
from schemas.delivery import Delivery
from schemas.dlq import parse_dlq_headers
from schemas.matching import Match
from schemas.topics import Catalogue
from streams.hotpath.pipeline import HitPipeline, Outgoing
from streams.hotpath.watchlist_state import WatchlistState
from tests.support.records import Rec
from tests.unit.models_factories import entry, hit_data

ZONE = load_zone_file(Path(__file__).parents[2] / "ops" / "zones" / "chuanyu.yaml")
CAT = Catalogue("rax")
NOW = datetime(2024, 5, 1, 0, 30, 5, tzinfo=UTC)


def _hit(region: str, plate: str = "川A12345", **over: Any) -> Rec:
    data = hit_data(
        event_id=str(uuid.uuid4()), region=region, plate=plate, checkpoint_id=f"{region}-K1", **over
    )
    return Rec(CAT.in_hits(region), orjson.dumps(data), _key=plate.encode())


def _pipeline(*entries: Any) -> HitPipeline:
    state = WatchlistState()
    for e in entries:
        state.upsert(e)
    return HitPipeline(CAT, state, lambda: ZONE)


def _on(out: list[Outgoing], topic: str) -> list[Outgoing]:
    return [o for o in out if o.topic == topic]


def _deliveries(out: list[Outgoing], region: str) -> list[Delivery]:
    return [decode(o.value or b"", Delivery) for o in _on(out, CAT.out(region))]


def _audits(out: list[Outgoing]) -> list[AuditRecord]:
    return [decode(o.value or b"", AuditRecord) for o in _on(out, CAT.audit)]


def _entry(owner: str, plate: str = "川A12345", **over: Any) -> Any:
    over.setdefault("scope", [])
    return entry(entry_id=str(uuid.uuid4()), owner=owner, plate=plate, **over)


def test_exact_match_reaches_owner_and_the_hit_region_under_the_joint_office_agreement() -> None:
    e = _entry("500153", category="fugitive")
    r = _pipeline(e).process([_hit("510521")], NOW)
    assert r.matches["exact"] == 1
    assert [d.recipient for d in _deliveries(r.out, "500153")] == ["500153"]
    to_luxian = _deliveries(r.out, "510521")
    assert len(to_luxian) == 1 and to_luxian[0].agreement_id == "rc-lx-joint-office"
    assert to_luxian[0].match is not None and to_luxian[0].match.image_ref is not None  # nothing redacted
    audits = _audits(r.out)
    assert {(a.recipient, a.decision.value) for a in audits} == {
        ("500153", "disclosed"),
        ("510521", "disclosed"),
    }
    match = decode(_on(r.out, CAT.matches)[0].value or b"", Match)
    assert match.kind.value == "exact" and match.entry_id == e.entry_id


def test_agreement_redactions_are_removed_before_delivery() -> None:
    e = _entry("500000", category="stolen_vehicle")
    r = _pipeline(e).process([_hit("510521")], NOW)
    (to_luxian,) = _deliveries(r.out, "510521")
    assert to_luxian.agreement_id == "cq-to-lx"
    assert to_luxian.match is not None
    assert to_luxian.match.image_ref is None and to_luxian.match.speed_kmh is None
    assert set(to_luxian.match.redacted) == {"image_ref", "speed_kmh"}
    (to_owner,) = _deliveries(r.out, "500000")
    assert to_owner.match is not None and to_owner.match.image_ref is not None
    assert b"img://" not in (_on(r.out, CAT.out("510521"))[0].value or b"")


def test_region_without_agreement_receives_nothing_and_the_refusal_is_audited() -> None:
    e = _entry("500152", category="stolen_vehicle")  # 潼南 and 安居 have no agreement
    r = _pipeline(e).process([_hit("510904")], NOW)
    assert _deliveries(r.out, "510904") == []
    refused = [a for a in _audits(r.out) if a.recipient == "510904"]
    assert (
        len(refused) == 1
        and refused[0].decision.value == "refused"
        and refused[0].reason.value == "no_agreement"
        and refused[0].refused_by == ConsentSide.ENTRY
    )
    # nor does the owner learn of 安居's read: 安居 never agreed to tell 潼南 (two-sided consent)
    assert _deliveries(r.out, "500152") == []
    (owner,) = [a for a in _audits(r.out) if a.recipient == "500152"]
    assert owner.reason.value == "no_agreement" and owner.refused_by == ConsentSide.READ
    assert r.refusals["no_agreement"] == 2


def test_the_owner_learns_of_a_read_only_with_the_read_regions_consent() -> None:
    e = _entry("510000", category="stolen_vehicle")  # 四川's entry, read by 荣昌's camera
    r = _pipeline(e).process([_hit("500153")], NOW)
    (to_owner,) = _deliveries(r.out, "510000")  # rc-to-sc: 荣昌 opens stolen vehicles to 四川
    assert to_owner.agreement_id is None and to_owner.read_agreement_id == "rc-to-sc"
    (to_rongchang,) = _deliveries(r.out, "500153")  # 四川 opens the entry to 荣昌 (sc-to-rc): its read
    assert to_rongchang.agreement_id == "sc-to-rc" and to_rongchang.read_agreement_id is None
    by = {a.recipient: a for a in _audits(r.out)}
    assert by["510000"].read_agreement_id == "rc-to-sc" and by["510000"].reason.value == "agreement"

    drugs = _entry("510000", category="drugs")  # 荣昌 opens no drugs reads to 四川
    r = _pipeline(drugs).process([_hit("500153")], NOW)
    assert _deliveries(r.out, "510000") == []
    (owner,) = [a for a in _audits(r.out) if a.recipient == "510000"]
    assert owner.refused_by == ConsentSide.READ and owner.reason.value == "category_not_allowed"


def test_a_subscriber_needs_both_the_owners_and_the_read_regions_consent() -> None:
    # 四川 subscribes to fugitives in 重庆's area; a fugitive entry of 重庆 read in 重庆 itself reaches it
    # (cy-2024-cq-sc covers both sides), one read in 荣昌 too (rc-to-sc), one read in 江津 does not
    cq = _entry("500000", category="fugitive")
    assert len(_deliveries(_pipeline(cq).process([_hit("500000")], NOW).out, "510000")) == 1
    assert len(_deliveries(_pipeline(cq).process([_hit("500153")], NOW).out, "510000")) == 1
    r = _pipeline(cq).process([_hit("500116")], NOW)
    assert _deliveries(r.out, "510000") == []
    (sub,) = [a for a in _audits(r.out) if a.recipient == "510000"]
    assert sub.refused_by == ConsentSide.READ and sub.reason.value == "no_agreement"


def test_category_outside_the_agreement_is_refused() -> None:
    e = _entry("500000", category="drugs")  # cq-to-lx covers stolen_vehicle, fugitive, missing_person only
    r = _pipeline(e).process([_hit("510521")], NOW)
    assert _deliveries(r.out, "510521") == []
    # and lx-to-cq covers the same three: the owner does not learn of 泸县's read either
    assert _deliveries(r.out, "500000") == []
    assert r.refusals["category_not_allowed"] == 2


def test_subscriber_receives_matches_in_its_area() -> None:
    e = _entry("500000", category="fugitive")  # 510000 subscribes to fugitives in 500000
    r = _pipeline(e).process([_hit("500153")], NOW)
    assert [d.purpose for d in _deliveries(r.out, "510000")] == ["investigation"]


def test_duplicates_by_event_id_and_by_pass_are_dropped() -> None:
    p = _pipeline(_entry("510521"))
    first = _hit("510521")
    again = Rec(first._topic, first._value, 1)
    other_camera = _hit("510521", pass_time="2024-05-01T00:30:04Z")
    later_pass = _hit("510521", pass_time="2024-05-01T00:30:30Z")
    r = p.process([first, again, other_camera, later_pass], NOW)
    assert r.duplicates["510521"] == 2
    assert r.matches["exact"] == 2


def test_dedup_holds_matching_hits_only() -> None:
    p = _pipeline(_entry("510521"))
    wanted = _hit("510521")
    others = [_hit("510521", plate=f"川B1000{i}") for i in range(5)]
    repeated = Rec(others[0]._topic, others[0]._value, 9)  # a connector re-sending an unwanted read
    r = p.process([*others, repeated, wanted], NOW)
    ((tp, sightings),) = r.sightings.items()
    assert tp == (CAT.in_hits("510521"), 0)
    assert [s[1] for s in sightings] == ["川A12345"]  # the changelog's delta: the matching hit alone
    assert r.duplicates["510521"] == 0 and r.hits["510521"] == 7  # every hit counted, none held
    assert p.process([_hit("510521", plate="川B10001")], NOW).sightings == {}


def test_a_pass_first_read_before_its_entry_is_delivered_from_the_next_read_once() -> None:
    state = WatchlistState()
    p = HitPipeline(CAT, state, lambda: ZONE)
    assert p.process([_hit("510521")], NOW).matches["exact"] == 0  # no entry yet: nothing, nothing held
    state.upsert(_entry("510521"))
    second = _hit("510521", pass_time="2024-05-01T00:30:03Z")  # the same pass, another camera
    third = _hit("510521", pass_time="2024-05-01T00:30:04Z")
    r = p.process([second, third], NOW)
    assert r.matches["exact"] == 1 and r.duplicates["510521"] == 1
    assert len(_deliveries(r.out, "510521")) == 1


def test_impersonating_hit_goes_to_the_dlq_and_the_audit() -> None:
    forged = Rec(CAT.in_hits("510521"), orjson.dumps(hit_data(region="500153")), 7)
    r = _pipeline(_entry("500153")).process([forged], NOW)
    (dead,) = _on(r.out, CAT.dlq("hotpath"))
    letter = parse_dlq_headers(dead.headers)
    assert letter.reason.value == "region_mismatch" and letter.source_offset == 7
    assert dead.value == forged._value
    (audit,) = _audits(r.out)
    assert audit.reason.value == "impersonation" and audit.recipient == "510521" and audit.owner == "500153"
    assert _on(r.out, CAT.matches) == []


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json", "invalid_json"),
        (orjson.dumps({"plate": "川A12345"}), "schema_violation"),
        (None, "invalid_json"),
    ],
)
def test_bad_input_goes_to_the_dlq_with_its_reason(value: bytes | None, reason: str) -> None:
    r = _pipeline().process([Rec(CAT.in_hits("510521"), value, 3)], NOW)
    (dead,) = r.out
    assert dead.topic == CAT.dlq("hotpath") and dead.value == value
    assert parse_dlq_headers(dead.headers).reason.value == reason
    assert r.dlq[reason] == 1


def test_expired_entry_never_matches() -> None:
    e = _entry("510521", expires_at=(NOW - timedelta(seconds=1)).isoformat())
    r = _pipeline(e).process([_hit("510521")], NOW)
    assert r.matches == {} and r.out == []


def test_misread_and_partial_matches_say_how_they_matched() -> None:
    misread = _entry("510521", plate="川A12345", tolerance=1)
    partial = _entry("510521", plate="川A1?34*", tolerance=0)
    r = _pipeline(misread, partial).process([_hit("510521", plate="川A1234S")], NOW)
    matches = {m.kind.value: m for m in (decode(o.value or b"", Match) for o in _on(r.out, CAT.matches))}
    assert set(matches) == {"misread", "partial"}
    assert matches["misread"].edits == 1 and matches["misread"].score < 1  # 5 read as S
    assert matches["partial"].edits == 0 and matches["partial"].matched_plate == "川A1?34*"


def test_a_read_breaking_an_issuing_rule_is_matched_and_the_match_says_so() -> None:
    # 川A62E1N read as 川A6ZE1N: 3 letters in the serial, which the connector once dead-lettered
    wanted = _entry("510521", plate="川A62E1N", tolerance=1)
    r = _pipeline(wanted).process([_hit("510521", plate="川A6ZE1N"), _hit("510521", plate="川A12B4")], NOW)
    assert r.dlq == {"schema_violation": 1}  # 6 characters with a letter: no plate read at all
    (match,) = (decode(o.value or b"", Match) for o in _on(r.out, CAT.matches))
    assert (match.kind.value, match.edits, match.matched_plate) == ("misread", 1, "川A62E1N")
    assert (match.hit.plate, match.hit.conforms, match.hit.breaks) == ("川A6ZE1N", False, "serial_letters")
    notices = [d.match for region in ("510521", "500153") for d in _deliveries(r.out, region)]
    assert notices and all(n is not None and not n.conforms and n.breaks == "serial_letters" for n in notices)


@pytest.mark.parametrize(
    ("read", "wanted", "edits"),
    [("川AI2345", "川A12345", 1), ("川AIO345", "川A10345", 2), ("川A1234", "川A1234领", 1)],
)
def test_a_read_the_normaliser_corrected_into_an_entrys_plate_is_a_misread_not_exact(
    read: str, wanted: str, edits: int
) -> None:
    # a serial I or O cannot be on a plate (read as 1 and 0); a consulate plate read without its 领
    r = _pipeline(_entry("510521", plate=wanted)).process([_hit("510521", plate=read)], NOW)
    (match,) = (decode(o.value or b"", Match) for o in _on(r.out, CAT.matches))
    assert (match.kind.value, match.edits, match.matched_plate) == ("misread", edits, wanted)
    assert match.score < 1 and (match.hit.plate, match.hit.plate_read) == (wanted, read)
    assert r.matches == {"misread": 1}
    (delivery,) = _deliveries(r.out, "510521")
    assert delivery.match is not None and delivery.match.kind.value == "misread"
    # the same plate read as it is stays exact
    r = _pipeline(_entry("510521", plate=wanted)).process([_hit("510521", plate=wanted)], NOW)
    assert [decode(o.value or b"", Match).kind.value for o in _on(r.out, CAT.matches)] == ["exact"]


def test_out_of_scope_entry_does_not_match() -> None:
    e = _entry("510521", scope=["510000"])  # Sichuan only
    r = _pipeline(e).process([_hit("500153")], NOW)
    assert _on(r.out, CAT.matches) == []


def test_deliveries_are_deterministic_across_replays() -> None:
    e = _entry("500153")
    msg = _hit("510521")
    first = _pipeline(e).process([msg], NOW)
    second = _pipeline(e).process([msg], NOW)
    assert [o.key for o in first.out] == [o.key for o in second.out]
    assert encode(decode(first.out[1].value or b"", Delivery)) == second.out[1].value


def test_past_the_fanout_cap_the_best_matches_are_delivered_and_the_rest_reported() -> None:
    # a runaway partial pattern placed 40 times must not cost the exact match of a wanted vehicle
    wanted = _entry("510521", tolerance=0)
    runaway = [_entry("510521", plate="川A1*", tolerance=0) for _ in range(40)]
    p = HitPipeline(CAT, WatchlistState(), lambda: ZONE, max_fanout=32)
    for e in (*runaway, wanted):
        p.watchlist.upsert(e)
    r = p.process([_hit("510521")], NOW)
    matches = [decode(o.value or b"", Match) for o in _on(r.out, CAT.matches)]
    assert len(matches) == 32 and matches[0].entry_id == wanted.entry_id
    assert r.matches == {"exact": 1, "partial": 31}
    (dead,) = _on(r.out, CAT.dlq("hotpath"))
    assert "41 entries" in parse_dlq_headers(dead.headers).error


def test_entries_out_of_scope_do_not_count_towards_the_fanout_cap() -> None:
    elsewhere = [_entry("510521", plate="川A1*", tolerance=0, scope=["500000"]) for _ in range(40)]
    wanted = _entry("510521", tolerance=0)
    p = HitPipeline(CAT, WatchlistState(), lambda: ZONE, max_fanout=32)
    for e in (*elsewhere, wanted):
        p.watchlist.upsert(e)
    r = p.process([_hit("510521")], NOW)
    assert r.matches == {"exact": 1} and r.dlq == {}


def test_a_window_rebuilt_from_its_changelog_answers_as_the_live_one_despite_a_future_read() -> None:
    # a camera 200 s ahead (within skew_s) must not, after a restart, evict the passes still in the window
    entries = (_entry("510521"), _entry("510521", plate="川B99999"))
    live = _pipeline(*entries)
    first = _hit("510521", pass_time="2024-05-01T00:30:03Z")
    ahead = _hit("510521", plate="川B99999", pass_time="2024-05-01T00:33:20Z")  # same partition
    r = live.process([first, ahead], NOW)
    ((tp, sightings),) = r.sightings.items()
    rebuilt = _pipeline(*entries)
    rebuilt.rebuild(*tp, sightings, now=NOW.timestamp())
    same_pass = _hit("510521", pass_time="2024-05-01T00:30:04Z")  # another camera, one second later
    assert live.process([same_pass], NOW).duplicates["510521"] == 1
    again = rebuilt.process([same_pass], NOW)
    assert again.duplicates["510521"] == 1 and _deliveries(again.out, "510521") == []
