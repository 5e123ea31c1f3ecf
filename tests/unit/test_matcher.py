"""Tests of the watchlist index: exact, misread and partial matching, colour, expiry and the classes."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from streams.hotpath.confusion import (
    LOOKALIKE_CLASSES,
    PROVINCE_MARK,
    PROVINCES,
    class_key,
    classes_of,
    min_substitutions,
)
from streams.hotpath.matcher import MatchResult, WatchlistIndex

NOW = 1_750_000_000.0
LATER = NOW + 86_400


def index(*entries: tuple[str, str, str | None, int]) -> WatchlistIndex:
    wl = WatchlistIndex()
    for n, (entry_id, pattern, colour, tolerance) in enumerate(entries):
        wl.upsert(entry_id, pattern, colour, tolerance, LATER, ref=100 + n)
    return wl


def found(wl: WatchlistIndex, plate: str, colour: str | None = "blue") -> list[tuple[str, str, float]]:
    return [(r.entry_id, r.kind, round(r.score, 4)) for r in wl.match(plate, colour, NOW)]


# --- confusion classes -------------------------------------------------------------------------------


def test_province_list_is_the_one_of_plate_rules() -> None:
    rules = json.loads(resources.files("schemas").joinpath("data", "plate_rules.json").read_text("utf-8"))
    assert sorted(PROVINCES) == sorted(p["abbr"] for p in rules["province_abbreviations"])


def test_class_key_maps_look_alikes_together_and_provinces_to_one_mark() -> None:
    assert class_key("川A12345") == class_key("渝47Z3AS") == PROVINCE_MARK + "412345"
    assert class_key("川A12345") != class_key("川A12349")
    assert class_key("WJ粤1609X") == "WJ" + PROVINCE_MARK + "1609X"
    assert class_key("川A*?5") == PROVINCE_MARK + "4*?5"  # wildcards stay
    assert (classes_of("0"), classes_of("X"), classes_of("警")) == ("0DQO", "X", "警")
    groups: dict[str, set[str]] = {}  # characters sharing a key character are look-alikes, nothing else
    for ch in map(chr, range(0x10000)):
        groups.setdefault(class_key(ch), set()).add(ch)
    assert sorted(map(sorted, (g for g in groups.values() if len(g) > 1))) == sorted(
        map(sorted, [*LOOKALIKE_CLASSES, PROVINCES])
    )


# --- exact and misread -------------------------------------------------------------------------------


def test_exact_match_carries_the_reference() -> None:
    wl = index(("e1", "川A12345", "blue", 0))
    assert wl.match("川A12345", "blue", NOW) == [MatchResult("e1", "exact", 1.0, 100)]
    assert wl.match("川A12346", "blue", NOW) == []


def test_misread_within_tolerance_is_scored_per_substitution() -> None:
    wl = index(("t1", "川A12345", None, 1), ("t2", "川A12345", None, 2), ("t0", "川A12345", None, 0))
    assert found(wl, "川A1Z345") == [("t1", "misread", 0.85), ("t2", "misread", 0.85)]
    assert found(wl, "川A1Z3A5") == [("t2", "misread", 0.7)]  # two substitutions: only tolerance 2
    assert found(wl, "川A1Z3AS") == []  # three: beyond every tolerance


def test_a_difference_outside_a_class_never_matches() -> None:
    wl = index(("e1", "川A12345", None, 2))
    assert found(wl, "川A12349") == []  # 5 / 9
    assert found(wl, "川A1Z349") == []  # one look-alike plus one that is not
    assert found(wl, "川A123456") == []  # longer


def test_province_substitution_is_a_costlier_misread() -> None:
    wl = index(("e1", "渝A12345", None, 1), ("e0", "渝A12345", None, 0), ("e2", "渝B12345", None, 2))
    assert found(wl, "川A12345") == [("e1", "misread", 0.75)]
    assert found(wl, "川812345") == [("e2", "misread", 0.6)]  # province + B/8


def test_many_entries_on_one_key_and_the_same_plate_twice() -> None:
    wl = index(("a", "川A12345", None, 0), ("b", "川A12345", "blue", 0), ("c", "川A1234S", None, 1))
    assert found(wl, "川A12345") == [("a", "exact", 1.0), ("b", "exact", 1.0), ("c", "misread", 0.85)]
    wl.remove("a")
    wl.remove("c")
    assert found(wl, "川A12345") == [("b", "exact", 1.0)]
    wl.remove("b")
    assert found(wl, "川A12345") == []


def test_plates_longer_than_eight_characters() -> None:
    wl = index(("e1", "WJ川12345X", None, 1))
    assert found(wl, "WJ川12345X") == [("e1", "exact", 1.0)]
    assert found(wl, "WJ川1Z345X") == [("e1", "misread", 0.85)]
    assert found(wl, "WJ渝12345X") == [("e1", "misread", 0.75)]


# --- partial -----------------------------------------------------------------------------------------


def test_partial_with_question_marks_is_one_character_each() -> None:
    wl = index(("p1", "川A1?345", None, 0), ("p2", "?A1234?", None, 0))
    assert found(wl, "川A19345") == [("p1", "partial", round(0.9 * 6 / 7, 4))]
    assert found(wl, "渝A12345") == [("p2", "partial", round(0.9 * 5 / 7, 4))]
    assert found(wl, "川A1934") == []
    assert found(wl, "川A193456") == []
    assert found(wl, "川B19345") == []


def test_partial_with_a_star_is_any_run() -> None:
    wl = index(("s1", "川A*45", None, 0), ("s2", "*2345", None, 0), ("s3", "*234*", None, 0))
    assert [r[0] for r in found(wl, "川A12345")] == ["s1", "s2", "s3"]
    assert [r[0] for r in found(wl, "川AD12345")] == ["s1", "s2", "s3"]  # 8 characters
    assert [r[0] for r in found(wl, "川A45")] == ["s1"]  # the run may be empty
    assert [r[0] for r in found(wl, "渝B23499")] == ["s3"]
    assert found(wl, "川B12446") == []


def test_partial_tolerance_applies_to_the_known_characters() -> None:
    wl = index(("t0", "川A1?345", None, 0), ("t1", "川A1?345", None, 1), ("s1", "*2345", None, 1))
    assert found(wl, "川A1934S") == [("t1", "partial", round(0.9 * 6 / 7 * 0.85, 4))]
    six, four = round(0.9 * 6 / 7, 4), round(0.9 * 4 / 7 * 0.85, 4)
    assert found(wl, "川A1Z345") == [("t0", "partial", six), ("t1", "partial", six), ("s1", "partial", four)]
    assert found(wl, "川A1934X") == []


def test_a_partial_entry_is_returned_once_even_if_probed_at_several_offsets() -> None:
    wl = index(("f1", "*111*", None, 0))
    assert found(wl, "川A11111") == [("f1", "partial", round(0.9 * 3 / 7, 4))]


def test_shapes_groups_and_scan_all_work_and_clean_up() -> None:
    patterns = ["川A1?3?5", "?A1?345", "川A12*", "*12*45", "*1*3*5", "川A?234警", "*警"]
    wl = index(*[(f"p{i}", p, None, 0) for i, p in enumerate(patterns)])
    hits = {"川A12345": 5, "川A10305": 2, "川A1234警": 3}  # how many patterns each should match
    for plate, count in hits.items():
        assert len(found(wl, plate)) == count, plate
    for i in range(len(patterns)):
        wl.remove(f"p{i}")
    assert wl.partial_count == 0
    assert wl.probes(7) == 1


def test_min_substitutions_takes_the_best_alignment() -> None:
    assert min_substitutions("*1*", "川A1234") == (0, 0)
    assert min_substitutions("*Z5", "川A1234S") is None
    assert min_substitutions("*Z34S", "川A1234S") == (1, 0)
    assert min_substitutions("*Z*S", "川A12345") == (2, 0)
    assert min_substitutions("*2*S", "川A1Z2S") == (0, 0)  # the 2 that needs no substitution
    assert min_substitutions("渝A*5", "川A12345") == (0, 1)
    assert min_substitutions("川A?", "川A12") is None


# --- colour, expiry, lifecycle -----------------------------------------------------------------------


def test_colour_must_agree_when_the_entry_has_one() -> None:
    wl = index(("blue", "川A12345", "blue", 1), ("any", "川A12345", None, 1), ("p", "川A1234?", "blue", 0))
    assert [r[0] for r in found(wl, "川A12345", "blue")] == ["any", "blue", "p"]
    assert [r[0] for r in found(wl, "川A12345", "yellow")] == ["any"]
    assert [r[0] for r in found(wl, "川A1234S", "yellow")] == ["any"]
    assert [r[0] for r in found(wl, "川A12345", None)] == ["any"]


def test_expired_entries_never_match_even_before_removal() -> None:
    wl = WatchlistIndex()
    wl.upsert("old", "川A12345", None, 1, expires_at=NOW)
    wl.upsert("oldp", "川A1234?", None, 0, expires_at=NOW - 1)
    wl.upsert("new", "川A12345", None, 1, expires_at=NOW + 1)
    assert [r.entry_id for r in wl.match("川A12345", "blue", NOW)] == ["new"]
    assert [r.entry_id for r in wl.match("川A12345", "blue", NOW - 2)] == ["new", "old", "oldp"]
    assert wl.purge_expired(NOW) == ["old", "oldp"]
    assert len(wl) == 1


def test_remove_and_upsert_replace() -> None:
    wl = index(("e1", "川A12345", None, 0))
    wl.upsert("e1", "渝B88888", "yellow", 0, LATER, ref=7)  # a later place with the same id
    assert len(wl) == 1
    assert found(wl, "川A12345") == []
    assert wl.match("渝B88888", "yellow", NOW) == [MatchResult("e1", "exact", 1.0, 7)]
    wl.upsert("e1", "渝B8888?", None, 0, LATER)  # exact -> partial
    assert found(wl, "渝B88881") == [("e1", "partial", round(0.9 * 6 / 7, 4))]
    wl.upsert("e1", "渝B88888", None, 0, LATER)  # and back
    assert found(wl, "渝B88881") == []
    assert wl.remove("e1") is True
    assert wl.remove("e1") is False
    assert "e1" not in wl
    assert found(wl, "渝B88888") == []


def test_rejected_entries_leave_the_index_unchanged() -> None:
    wl = index(("e1", "川A12345", None, 0))
    with pytest.raises(ValueError):
        wl.upsert("e1", "川A12345", None, 3)
    with pytest.raises(ValueError):
        wl.upsert("e1", "??*", None, 0)
    assert found(wl, "川A12345") == [("e1", "exact", 1.0)]


def test_order_is_exact_then_misread_by_score_then_partial() -> None:
    wl = index(("p", "川A1234?", None, 0), ("m2", "渝A12345", None, 1), ("m1", "川A1234S", None, 1))
    wl.upsert("x", "川A12345")
    got = [f"{entry_id}:{kind}" for entry_id, kind, _ in found(wl, "川A12345")]
    assert got == ["x:exact", "m1:misread", "m2:misread", "p:partial"]


# --- properties --------------------------------------------------------------------------------------

SERIAL = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
plates = st.builds(
    lambda p, letter, serial: p + letter + serial,
    st.sampled_from(PROVINCES),
    st.sampled_from(SERIAL[10:]),
    st.text(SERIAL, min_size=5, max_size=6),
)


@given(plates, st.sampled_from([None, "blue", "green"]), st.integers(0, 2))
def test_an_exact_entry_always_matches_itself(plate: str, colour: str | None, tolerance: int) -> None:
    wl = index(("e", plate, colour, tolerance))
    assert wl.match(plate, colour, NOW) == [MatchResult("e", "exact", 1.0, 100)]


@given(plates, st.data())
def test_one_look_alike_substitution_matches_with_tolerance_and_never_without(
    plate: str, data: st.DataObject
) -> None:
    positions = [i for i, ch in enumerate(plate) if len(classes_of(ch)) > 1]
    i = data.draw(st.sampled_from(positions))
    other = data.draw(st.sampled_from([c for c in classes_of(plate[i]) if c != plate[i]]))
    misread = plate[:i] + other + plate[i + 1 :]
    wl = index(("t0", plate, None, 0), ("t1", plate, None, 1), ("t2", plate, None, 2))
    assert [r[:2] for r in found(wl, misread)] == [("t1", "misread"), ("t2", "misread")]


@given(plates, st.data())
def test_a_substitution_outside_the_class_never_matches(plate: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(1, len(plate) - 1))
    other = data.draw(st.sampled_from(SERIAL))
    assume(other not in classes_of(plate[i]))
    wl = index(("t2", plate, None, 2))
    assert wl.match(plate[:i] + other + plate[i + 1 :], "blue", NOW) == []


def brute_force(entries: list[tuple[str, str, int]], plate: str) -> dict[str, tuple[str, float]]:
    """What the index must find, from the definitions: every entry, its least substitutions, the scores."""
    out = {}
    for entry_id, pattern, tolerance in entries:
        cost = min_substitutions(pattern, plate)
        if cost is None or sum(cost) > tolerance:
            continue
        score = 1.0 - 0.15 * cost[0] - 0.25 * cost[1]
        if "?" in pattern or "*" in pattern:
            known = sum(ch not in "?*" for ch in pattern)
            out[entry_id] = ("partial", round(0.9 * known / len(plate) * score, 6))
        else:
            out[entry_id] = ("exact" if cost == (0, 0) else "misread", round(score, 6))
    return out


small_plates = st.builds(
    lambda p, serial: p + "A" + serial, st.sampled_from("川渝"), st.text("1725ZS8", min_size=5, max_size=6)
)


@st.composite
def patterns_from(draw: st.DrawFn, plate: str) -> str:
    chars = list(plate)
    for i in draw(st.sets(st.integers(0, len(chars) - 1), max_size=3)):
        chars[i] = "?"
    pattern = "".join(chars)
    if draw(st.booleans()):
        a = draw(st.integers(0, len(pattern)))
        pattern = pattern[:a] + "*" + pattern[draw(st.integers(a, len(pattern))) :]
    return pattern if pattern.strip("?*") else plate


@settings(max_examples=150, deadline=None)
@given(st.lists(small_plates, min_size=1, max_size=30), st.lists(small_plates, max_size=20), st.data())
def test_the_index_finds_what_the_definitions_say(
    sources: list[str], hits: list[str], data: st.DataObject
) -> None:
    entries = []
    for n, plate in enumerate(sources):
        pattern = data.draw(st.one_of(st.just(plate), patterns_from(plate)))
        entries.append((f"e{n:02d}", pattern, data.draw(st.integers(0, 2))))
    wl = WatchlistIndex()
    for entry_id, pattern, tolerance in entries:
        wl.upsert(entry_id, pattern, None, tolerance, LATER)
    for plate in hits + sources:
        got = {r.entry_id: (r.kind, round(r.score, 6)) for r in wl.match(plate, "blue", NOW)}
        assert got == brute_force(entries, plate), plate
