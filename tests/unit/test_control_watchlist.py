"""Watchlist lifecycle logic: place, re-send, replace, withdraw, expiry, review, and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from schemas.codec import decode, encode
from schemas.dlq import DlqReason
from schemas.partial_policy import PartialPatternPolicy
from schemas.times import TimeBounds
from schemas.topics import Catalogue
from schemas.watchlist import WatchlistEntry
from streams.control.common import Rejected
from streams.control.watchlist.logic import EXPIRED, WITHDRAWN, expire, overdue_reviews, process_command
from streams.control.watchlist.partials import PartialCounts
from tests.unit.models_factories import COMMAND_ID, ENTRY_ID, entry_data, place, withdraw

CAT = Catalogue("t")
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
#: the factories' commands span two days (placed 30 April, withdrawn 2 May): wide enough bounds for them
WIDE = TimeBounds(skew_s=86_400, command_age_s=7 * 86_400)


def run(entries: dict[str, Any], command: Any, region: str = "510521", now: datetime = NOW) -> Any:
    result = process_command(encode(command), region, catalogue=CAT, now=now, entries=entries, bounds=WIDE)
    entries.update(result.entries)
    return result


def test_place_publishes_the_entry_keyed_by_its_id() -> None:
    entries: dict[str, Any] = {}
    result = run(entries, place())
    [out] = result.outputs
    assert out.topic == CAT.watchlist and out.key == ENTRY_ID.encode()
    assert decode(out.value, WatchlistEntry).entry_id == ENTRY_ID
    assert entries[ENTRY_ID]["status"] == "active"


def test_a_resent_command_changes_nothing_and_a_new_one_replaces_the_entry() -> None:
    entries: dict[str, Any] = {}
    run(entries, place())
    assert run(entries, place()).duplicate
    replaced = place(command_id="11111111-1111-4111-8111-111111111111", entry=entry_data(priority="high"))
    assert decode(run(entries, replaced).outputs[0].value, WatchlistEntry).priority.value == "high"


def test_withdraw_publishes_a_tombstone_once() -> None:
    entries: dict[str, Any] = {}
    run(entries, place())
    result = run(entries, withdraw(command_id="22222222-2222-4222-8222-222222222222"))
    assert [(o.key, o.value) for o in result.outputs] == [(ENTRY_ID.encode(), None)]
    assert entries[ENTRY_ID]["status"] == WITHDRAWN
    again = run(entries, withdraw(command_id="33333333-3333-4333-8333-333333333333"))
    assert again.outputs == [] and not again.duplicate


@pytest.mark.parametrize(
    ("command", "region", "reason"),
    [
        (place(), "500000", DlqReason.REGION_MISMATCH),
        (withdraw(), "510521", DlqReason.UNKNOWN_REFERENCE),
        (place(entry=entry_data(expires_at="2024-05-01T11:00:00Z")), "510521", DlqReason.SCHEMA_VIOLATION),
        (place(issued_at="2024-04-29T00:00:00Z"), "510521", DlqReason.SCHEMA_VIOLATION),  # approved later
    ],
)
def test_refusals(command: Any, region: str, reason: DlqReason) -> None:
    with pytest.raises(Rejected) as err:
        run({}, command, region)
    assert err.value.reason == reason


def test_only_the_owner_replaces_or_withdraws() -> None:
    entries: dict[str, Any] = {}
    run(entries, place())
    theirs = place(command_id="44444444-4444-4444-8444-444444444444", entry=entry_data(owner="500153"))
    with pytest.raises(Rejected) as err:
        run(entries, theirs, "500153")
    assert err.value.reason == DlqReason.NOT_AUTHORISED
    with pytest.raises(Rejected) as err:
        run(entries, withdraw(command_id="55555555-5555-4555-8555-555555555555", owner="500153"), "500153")
    assert err.value.reason == DlqReason.NOT_AUTHORISED


def test_another_regions_command_is_refused_even_under_a_command_id_the_entry_knows() -> None:
    entries: dict[str, Any] = {}
    run(entries, place())  # the owner's command id is now remembered by the entry
    for command in (place(entry=entry_data(owner="500153")), withdraw(command_id=COMMAND_ID, owner="500153")):
        with pytest.raises(Rejected) as err:  # not a re-send of the owner's command: an impersonation
            run(entries, command, "500153")
        assert err.value.reason == DlqReason.NOT_AUTHORISED
    assert entries[ENTRY_ID]["owner"] == "510521" and entries[ENTRY_ID]["status"] == "active"


def test_expiry_tombstones_an_active_entry_once_due() -> None:
    entries: dict[str, Any] = {}
    run(entries, place())
    state = entries[ENTRY_ID]
    assert expire(ENTRY_ID, state, CAT, NOW) is None
    result = expire(ENTRY_ID, state, CAT, datetime(2024, 7, 30, 12, 0, tzinfo=UTC))
    assert result is not None and result.outputs[0].value is None
    assert result.entries[ENTRY_ID]["status"] == EXPIRED
    assert expire(ENTRY_ID, result.entries[ENTRY_ID], CAT, datetime(2024, 8, 1, tzinfo=UTC)) is None


def test_entries_past_their_review_date_are_counted_per_owner() -> None:
    entries: dict[str, Any] = {}
    run(entries, place(entry=entry_data(review_at="2024-05-15T00:00:00Z")))
    assert overdue_reviews(entries.items(), NOW) == ({}, [])
    per_region, ids = overdue_reviews(entries.items(), NOW + timedelta(days=30))
    assert per_region == {"510521": 1} and ids == [ENTRY_ID]
    assert COMMAND_ID in entries[ENTRY_ID]["commands"]


# ---- partial plates: the zone's policy and the owner's quota ------------------------------------
def _place_partial(plate: str, counts: PartialCounts, policy: PartialPatternPolicy, **over: Any) -> Any:
    entry = entry_data(plate=plate, category=over.pop("category", "fugitive"), tolerance=0, **over)
    return process_command(
        encode(place(entry=entry)),
        "510521",
        catalogue=CAT,
        now=NOW,
        entries={},
        bounds=WIDE,
        partials=(policy, counts.active_of),
    )


def test_a_partial_plate_needs_the_zones_specificity_and_category() -> None:
    counts, policy = PartialCounts(), PartialPatternPolicy()
    with pytest.raises(Rejected) as info:
        _place_partial("川E7?3*", counts, policy)  # 3 known characters besides 川
    assert info.value.reason == DlqReason.NOT_AUTHORISED and "at least 4" in str(info.value)
    with pytest.raises(Rejected) as info:
        _place_partial("*2345", counts, policy)  # no province: a suffix pattern over the whole zone
    assert "province" in str(info.value)
    with pytest.raises(Rejected) as info:
        _place_partial("川E7?34*", counts, policy, category="traffic_offence")
    assert "traffic_offence" in str(info.value)
    assert _place_partial("川E7?34*", counts, policy).outputs  # specific enough, an allowed category


def test_the_owners_quota_counts_its_active_partial_entries_from_the_watchlist_table() -> None:
    counts, policy = PartialCounts(), PartialPatternPolicy(max_active_per_owner=2)
    for n in range(2):
        counts.apply(f"e{n}".encode(), orjson.dumps({"plate": f"川E7?3{n}*", "owner": "510521"}))
    counts.apply(b"exact", orjson.dumps({"plate": "川E12345", "owner": "510521"}))  # not partial
    counts.apply(b"other", orjson.dumps({"plate": "川A1?34*", "owner": "510000"}))  # another owner
    assert counts.active_of("510521") == 2 and counts.active_of("510000") == 1
    with pytest.raises(Rejected) as info:
        _place_partial("川E7?34*", counts, policy)
    assert "allows 2" in str(info.value)
    counts.apply(b"e0", None)  # withdrawn: a tombstone frees a place
    assert counts.active_of("510521") == 1
    assert _place_partial("川E7?34*", counts, policy).outputs
    counts.apply(b"e1", orjson.dumps({"plate": "川E12399", "owner": "510521"}))  # replaced by an exact plate
    assert counts.active_of("510521") == 0
    assert counts.active_of("510000", besides="other") == 0  # replacing its own partial entry
