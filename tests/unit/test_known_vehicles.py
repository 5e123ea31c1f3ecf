"""Known vehicles (plates read at 2+ checkpoints): the memory, and misread matches withheld for them."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import orjson
import pytest

from schemas.codec import decode
from schemas.matching import Match
from streams.hotpath.pipeline import HitPipeline
from streams.hotpath.seen import SeenPlates
from streams.hotpath.watchlist_state import WatchlistState
from tests.support.records import Rec
from tests.unit.models_factories import hit_data
from tests.unit.test_hotpath_pipeline import CAT, NOW, ZONE, _entry, _on

DAY = 86400.0


def test_a_plate_is_known_once_read_at_two_distinct_checkpoints_and_not_by_the_read_in_hand() -> None:
    seen = SeenPlates(7 * DAY)
    assert [seen.observe("川A1234S", "K1", t) for t in (0, 60, 120)] == [False, False, False]
    assert not seen.known("川A1234S")  # one checkpoint, however often: a misread may repeat there
    assert seen.observe("川A1234S", "K2", 180) is False  # the second checkpoint is the read in hand
    assert seen.known("川A1234S") and seen.observe("川A1234S", "K3", 240) is True
    assert not seen.known("川A12345")


def test_the_memory_spans_its_two_halves_and_forgets_after_the_window() -> None:
    seen = SeenPlates(2 * DAY)
    seen.record("川A1234S", "K1", 0)
    seen.record("渝B88888", "K9", DAY + 1)  # the first half ends: a new one starts
    seen.record("川A1234S", "K2", DAY + 2)  # K1 in the older half, K2 in this one
    assert seen.known("川A1234S")
    seen.record("渝B88888", "K9", 2 * DAY + 3)
    assert seen.known("川A1234S")  # known for at least half the window after its second checkpoint
    seen.record("渝B88888", "K9", 3 * DAY + 4)
    assert not seen.known("川A1234S")


def test_memory_is_bounded_by_its_capacity() -> None:
    seen = SeenPlates(7 * DAY, capacity=100)
    for i in range(1000):
        seen.record(f"川A{i:05d}", "K1", i)
    assert len(seen) <= 200


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        SeenPlates(0)


def _hit(plate: str, checkpoint: str, minutes: int, **over: Any) -> Rec:
    at = (NOW - timedelta(minutes=60 - minutes)).isoformat()
    data = hit_data(event_id=str(uuid.uuid4()), region="510521", plate=plate, checkpoint_id=checkpoint,
                    pass_time=at, **over)  # fmt: skip
    return Rec(CAT.in_hits("510521"), orjson.dumps(data), _key=plate.encode())


def _matches(out: list[Any]) -> list[tuple[str, str]]:
    return [
        (m.kind.value, m.matched_plate)
        for m in (decode(o.value or b"", Match) for o in _on(out, CAT.matches))
    ]


def test_misread_matches_of_a_known_vehicle_are_withheld_and_its_exact_matches_are_not() -> None:
    state = WatchlistState()
    state.upsert(_entry("510521", plate="川A12345", tolerance=1))  # wanted: tolerant
    pipeline = HitPipeline(CAT, state, lambda: ZONE, seen=SeenPlates(7 * DAY))
    # 川A1234S is a vehicle of the zone: its first reads look like misreads of the wanted plate
    first = pipeline.process([_hit("川A1234S", "510521-K1", 0), _hit("川A1234S", "510521-K2", 5)], NOW)
    assert _matches(first.out) == [("misread", "川A12345")] * 2 and first.withheld == {}
    later = pipeline.process([_hit("川A1234S", "510521-K3", 10)], NOW)
    assert _matches(later.out) == [] and later.withheld == {"510521": 1}
    # once it is wanted itself, its exact match is delivered, known or not
    state.upsert(_entry("510521", plate="川A1234S"))
    exact = pipeline.process([_hit("川A1234S", "510521-K4", 15)], NOW)
    assert _matches(exact.out) == [("exact", "川A1234S")] and exact.withheld == {"510521": 1}


def test_a_misread_repeated_at_one_checkpoint_is_still_delivered() -> None:
    state = WatchlistState()
    state.upsert(_entry("510521", plate="川A12345", tolerance=1))
    pipeline = HitPipeline(CAT, state, lambda: ZONE, seen=SeenPlates(7 * DAY))
    hits = [_hit("川A1234S", "510521-K1", minutes) for minutes in (0, 10, 20)]  # one camera's habit
    assert _matches(pipeline.process(hits, NOW).out) == [("misread", "川A12345")] * 3
