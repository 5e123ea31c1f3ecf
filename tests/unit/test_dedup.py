"""Tests of the per-partition dedup window: event ids, passes in event time, eviction and rebuild."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.hotpath.dedup import DedupWindow

T0 = 1_750_000_000.0


def hit(window: DedupWindow, eid: str, t: float, plate: str = "川A12345", cp: str = "K1") -> bool:
    return window.seen(eid, plate, "blue", cp, T0 + t)


def test_same_event_id_is_a_duplicate_even_with_other_content() -> None:
    w = DedupWindow()
    assert hit(w, "e1", 0) is False
    assert hit(w, "e1", 0) is True
    assert w.seen("e1", "渝B99999", "yellow", "K9", T0 + 1) is True


def test_same_pass_within_window_is_a_duplicate_inclusive() -> None:
    w = DedupWindow(window_s=10)
    assert not hit(w, "e1", 0)
    assert hit(w, "e2", 4)
    assert hit(w, "e3", 14)  # exactly the window after the last read: still the same pass
    assert not hit(w, "e4", 24.5)


def test_plate_colour_and_checkpoint_each_make_a_different_pass() -> None:
    w = DedupWindow()
    assert not w.seen("e1", "川A12345", "blue", "K1", T0)
    assert not w.seen("e2", "川A12345", "yellow", "K1", T0)  # same characters, other vehicle
    assert not w.seen("e3", "川A12345", "blue", "K2", T0)
    assert not w.seen("e4", "川A12346", "blue", "K1", T0)
    assert not w.seen("e5", "川A12345", None, "K1", T0)
    assert w.seen("e6", "川A12345", "blue", "K1", T0 + 1)


def test_out_of_order_read_is_the_same_pass_if_within_the_window_of_one_seen() -> None:
    w = DedupWindow(window_s=10)
    assert not hit(w, "e1", 100)
    assert hit(w, "e2", 97)  # 3 s older than one seen
    assert not hit(w, "e3", 86)  # 11 s older than the oldest read: an earlier pass
    assert hit(w, "e4", 77)  # within the window of the 86 one


def test_reads_following_each_other_within_the_window_are_one_pass() -> None:
    w = DedupWindow(window_s=10)
    for i, t in enumerate(range(0, 120, 8)):  # a car waiting at the checkpoint, read every 8 s
        assert hit(w, f"e{i}", t) is (i > 0)
    assert not hit(w, "gone", 120 + 11)  # it left; 19 s later it passes again


def test_a_read_can_join_two_passes_into_one() -> None:
    w = DedupWindow(window_s=10, max_lateness_s=30)
    assert not hit(w, "e1", 0)
    assert not hit(w, "e2", 18)
    assert hit(w, "e3", 9)  # within the window of both
    assert hit(w, "e4", -10)
    assert hit(w, "e5", 28)
    assert not hit(w, "e6", 38.5)


def test_state_is_bounded_by_event_time_not_by_count() -> None:
    w = DedupWindow(window_s=10, max_lateness_s=5)
    for i in range(20_000):  # 100 new passes per second of event time
        assert not w.seen(f"e{i}", f"川A{i:05d}", "blue", "K1", T0 + i / 100)
    bound = 100 * (w.retention_s + w.retention_s / 16 + 1)
    assert len(w) <= bound
    assert len(w) >= 100 * w.retention_s


def test_a_read_later_than_the_kept_state_is_never_dropped_wrongly() -> None:
    w = DedupWindow(window_s=10, max_lateness_s=0)
    assert not hit(w, "e1", 0)
    assert not hit(w, "e2", 1000, plate="渝B00001")  # the watermark jumps; e1 is evicted
    assert not hit(w, "e3", 2)  # would have been a duplicate of e1: passes as new, never lost
    assert hit(w, "e4", 3)  # but the late pass is remembered meanwhile


def test_clear_forgets_everything() -> None:
    w = DedupWindow()
    hit(w, "e1", 0)
    w.clear()
    assert len(w) == 0
    assert w.watermark == float("-inf")
    assert not hit(w, "e1", 0)


def test_default_lateness_is_half_a_window() -> None:
    assert DedupWindow(window_s=10).retention_s == 15


def test_invalid_configuration() -> None:
    with pytest.raises(ValueError):
        DedupWindow(window_s=0)
    with pytest.raises(ValueError):
        DedupWindow(max_lateness_s=-1)


def test_rebuild_then_live_drops_the_live_duplicate_of_a_rebuilt_pass() -> None:
    processed = [
        ("e1", "川A12345", "blue", "K1", T0),
        ("e2", "渝B88888", "yellow", "K2", T0 + 1),
    ]
    w = DedupWindow()
    assert w.rebuild(processed) == 2
    assert w.seen("e3", "川A12345", "blue", "K1", T0 + 5)  # a second camera of the rebuilt pass
    assert w.seen("e2", "渝B88888", "yellow", "K2", T0 + 1)  # a retry of a rebuilt event
    assert not w.seen("e4", "川A12345", "blue", "K2", T0 + 5)  # another checkpoint: a new pass


Record = tuple[str, str, str | None, str, float]


@st.composite
def streams_of_hits(draw: st.DrawFn, lateness: float = 10.0, max_gap: float = 6.0) -> list[Record]:
    """Hits of a few vehicles at a few checkpoints, at most ``lateness`` behind the newest, with retries;
    the newest moves on by up to ``max_gap`` seconds between two hits."""
    records: list[Record] = []
    newest = T0
    for i in range(draw(st.integers(1, 60))):
        recent = [r for r in records if r[4] >= newest - lateness]
        if recent and draw(st.integers(0, 9)) == 0:
            records.append(draw(st.sampled_from(recent)))  # a connector retry: the same record
            continue
        newest += draw(st.floats(0, max_gap, allow_nan=False))
        t = newest - draw(st.floats(0, lateness, allow_nan=False))
        plate = draw(st.sampled_from(["川A12345", "渝B88888"]))
        records.append(
            (f"e{i}", plate, draw(st.sampled_from(["blue", None])), draw(st.sampled_from("KL")), t)
        )
    return records


def reference(records: list[Record], window: float) -> list[bool]:
    """Dedup without any eviction: the rules, and nothing else."""
    ids: set[str] = set()
    sightings: list[tuple[tuple[str, str | None, str], float]] = []
    out = []
    for eid, plate, colour, cp, t in records:
        if eid in ids:
            out.append(True)
            continue
        ids.add(eid)
        key = (plate, colour, cp)
        out.append(any(k == key and abs(t - a) <= window for k, a in sightings))
        sightings.append((key, t))
    return out


@settings(max_examples=300, deadline=None)
@given(streams_of_hits())
def test_answers_equal_the_rules_without_eviction_for_reads_within_the_lateness(
    records: list[Record],
) -> None:
    w = DedupWindow(window_s=10, max_lateness_s=10)
    assert [w.seen(*r) for r in records] == reference(records, 10)


@settings(max_examples=300, deadline=None)
@given(streams_of_hits(max_gap=60.0))
def test_answers_equal_the_rules_when_the_watermark_jumps_past_everything_kept(
    records: list[Record],
) -> None:
    w = DedupWindow(window_s=10, max_lateness_s=10)
    assert [w.seen(*r) for r in records] == reference(records, 10)


def test_a_jump_past_the_retention_frees_the_whole_state_and_keeps_working() -> None:
    w = DedupWindow(window_s=10, max_lateness_s=5)
    for i in range(5_000):
        assert not w.seen(f"e{i}", f"川A{i:05d}", "blue", "K1", T0 + i / 1000)
    assert len(w) == 5_000
    assert not hit(w, "late", 100, plate="渝B00001")  # the watermark jumps 95 s: all of it goes at once
    assert len(w) == 1
    assert not w.seen("e1", "川A00001", "blue", "K1", T0 + 99)  # not a duplicate of the evicted e1
    assert hit(w, "again", 101, plate="渝B00001")  # the new state works as before
    assert hit(w, "late", 100, plate="渝B00001")


@settings(max_examples=300, deadline=None)
@given(streams_of_hits(), st.data())
def test_rebuild_from_the_retention_before_the_commit_then_live_gives_the_same_answers(
    records: list[Record], data: st.DataObject
) -> None:
    committed = data.draw(st.integers(0, len(records)))
    original = DedupWindow(window_s=10, max_lateness_s=10)
    answers = [original.seen(*r) for r in records]
    newest = max((r[4] for r in records[:committed]), default=T0)
    # the first record at or after newest - retention (what offsets_for_times finds), or an earlier one
    start = next((i for i, r in enumerate(records) if r[4] >= newest - original.retention_s), committed)
    start = data.draw(st.integers(0, min(start, committed)))
    rebuilt = DedupWindow(window_s=10, max_lateness_s=10)
    rebuilt.rebuild(records[start:committed])
    assert [rebuilt.seen(*r) for r in records[committed:]] == answers[committed:]
