"""The lean entry decoder accepts only what the model accepts, stored alike; refusals are the model's."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bench.hotpath.records import entry_template
from schemas.codec import DecodeError, decode, encode
from schemas.entry_lean import EntryView, lean_entry, view_of
from schemas.vocab import Action, Category, PlateColour, Priority
from schemas.watchlist import WatchlistEntry
from streams.hotpath.watchlist_state import WatchlistState
from tests.unit.models_factories import approval_data, entry_data
from tests.unit.test_blind_entries import _blind
from tests.unit.test_codec_fast import json_values
from tests.unit.test_hit_lean import EVENT_IDS, ODD_TEXTS, ODD_TIMES, PLATES, REGIONS, clean_text

PARTIALS = ["川A?23*", "渝*88", "*12345", "川A12??5", "川?12345", "川A1234?", "？A12345", "川a?23*", "川A**5"]
ISSUERS = [None, "mainland", "hong_kong", "macau"]


def _valid_plates() -> list[tuple[str, str | None]]:
    """(plate as the model keeps it, issuer) of every corpus plate and pattern some issuer takes."""
    out = set()
    for raw in [*PLATES, *PARTIALS]:
        for issuer in ISSUERS:
            try:
                model = WatchlistEntry.model_validate(entry_data(plate=raw, plate_issuer=issuer))
            except ValidationError:
                continue
            assert model.plate is not None
            out.add((model.plate, issuer))
    return sorted(out, key=str)


VALID_PLATES = _valid_plates()
TEXT = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=40)


def _time(t: datetime, spec: str, zone: str) -> str:
    return t.isoformat(timespec=spec) + zone


@st.composite
def canonical_entries(draw: st.DrawFn) -> dict[str, Any]:
    """A clear entry in the form the control app writes it, optional fields present, null or absent."""
    plate, issuer = draw(st.sampled_from(VALID_PLATES))
    placed = draw(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 1, 1)))
    life = draw(st.integers(1, 10**9)) * timedelta(microseconds=draw(st.sampled_from([1, 10**6])))
    spec, zone = draw(st.sampled_from(["auto", "microseconds"])), draw(st.sampled_from(["Z", "+00:00"]))
    data: dict[str, Any] = {
        "entry_id": draw(EVENT_IDS),
        "owner": draw(st.sampled_from(REGIONS)),
        "operator": draw(clean_text),
        "approval": {**approval_data(), "unit": draw(clean_text)},
        "category": draw(st.sampled_from(list(Category))).value,
        "action": draw(st.sampled_from(list(Action))).value,
        "priority": draw(st.sampled_from(list(Priority))).value,
        "plate": plate,
        "legal_basis": draw(clean_text),
        "placed_at": _time(placed, spec, zone),
        "expires_at": _time(placed + life, spec, zone),
    }
    optional: dict[str, Any] = {
        "plate_issuer": issuer,
        "plate_colour": draw(st.sampled_from([c.value for c in PlateColour])),
        "tolerance": draw(st.integers(0, 2)),
        "description": draw(clean_text),
        "scope": draw(st.lists(st.sampled_from(REGIONS), max_size=3, unique=True)),
        "review_at": _time(placed + life * draw(st.sampled_from([0, 0.5, 1])), spec, zone),
        "schema_version": 1,
        "blind": None,
        "sealed_details": [],
        "plate_warnings": [],
    }
    for name, value in optional.items():
        how = draw(st.sampled_from(["value", "null", "absent"]))
        if how == "value" or (name == "plate_issuer" and issuer is not None):
            data[name] = value
        elif how == "null" and name in ("plate_issuer", "plate_colour", "description", "review_at", "blind"):
            data[name] = None
    return data


def outcome(raw: bytes) -> tuple[str, Any]:
    try:
        return "ok", decode(raw, WatchlistEntry)
    except DecodeError as exc:
        return "refused", (str(exc), exc.reason, exc.errors)


def stored(state: WatchlistState) -> tuple[Any, ...]:
    """What a worker keeps: the facts and the index's inputs."""
    index = state.index
    return (
        state._facts,
        state._slots,
        index._exact,
        index._tolerant,
        list(index._expires),
        list(index._placed),
        list(index._tolerance),
        list(index._colour),
        index._colours,
        index._ids,
        len(index._partial),
        len(state.blind),
    )


def dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")


def check(raw: bytes, key: bytes | None = None) -> EntryView | None:
    """The lean decoder on ``raw`` against ``decode``; returns the lean view (None: declined)."""
    expected = outcome(raw)
    lean = lean_entry(raw)
    if lean is not None:
        assert expected[0] == "ok", (raw, expected)
        assert lean == view_of(expected[1])
    by_model = WatchlistState()
    if expected[0] == "ok":
        entry = expected[1]
        if key is None or key.decode("utf-8", "replace") == entry.entry_id:
            by_model.upsert(entry)
    state = WatchlistState()
    try:
        state.apply(key, raw)
    except DecodeError as exc:
        if expected[0] == "refused":
            assert expected[1] == (str(exc), exc.reason, exc.errors)
        else:  # only a key that is not the entry id refuses a valid entry
            assert key is not None and key.decode("utf-8", "replace") != expected[1].entry_id
    else:
        assert expected[0] == "ok", raw
        assert stored(state) == stored(by_model)
    return lean


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=canonical_entries())
def test_the_canonical_form_is_taken_by_the_lean_path(data: dict[str, Any]) -> None:
    raw = orjson.dumps(data)
    assert check(raw, data["entry_id"].encode()) is not None, raw
    encoded = encode(decode(raw, WatchlistEntry))  # what the control app writes, warnings included
    assert check(encoded, data["entry_id"].encode()) is not None


#: what a field may be broken or changed to: the edge cases of each of the model's checks
odd_values = st.one_of(
    json_values,
    st.sampled_from(PLATES + PARTIALS + ODD_TIMES + ODD_TEXTS),
    st.sampled_from(["0B6F3C52-93A1-4D0E-8F7A-2C4E5B6A7D81", "{0b6f3c52-93a1-4d0e-8f7a-2c4e5b6a7d81}"]),
    st.sampled_from(["510521 ", "５１０５２１", "999999", "51052", "5105210", "110000", "810000"]),
    st.sampled_from(["BLUE", "Blue", "blue ", "2", "蓝", "yellow_green", "none", "Stolen_Vehicle", "URGENT"]),
    st.sampled_from(["hong_kong", "HONG_KONG", "macau", "mainland", "hk", "mainland "]),
    st.sampled_from([-1, 0, 1, 2, 3, 1.0, 2.0, True, False, "1", None]),
    st.sampled_from([[], [""], ["510000", "510000"], ["510000", "500000"], [510000], {}, "", 0, [None]]),
    st.sampled_from([["serial_letters: x"], [" a"], ["x" * 129], ["a\nb"], [{}]]),
    st.sampled_from([{**approval_data(), "unit": " a"}, {**approval_data(), "x": "1"}, {"unit": "a"}]),
    st.sampled_from([{**approval_data(), "approved_at": "2024-04-30T10:00:00"}, approval_data()]),
    st.sampled_from(["x" * 128, "x" * 129, "x" * 1000, "x" * 1001, "a\tb", "a\nb", "a\r\nb"]),
    TEXT,
)  # fmt: skip
FIELDS = [*entry_data(), "plate_issuer", "description", "review_at", "schema_version", "blind"]
FIELDS += ["sealed_details", "plate_warnings"]


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=canonical_entries(),
    changes=st.dictionaries(st.sampled_from([*FIELDS, "extra"]), odd_values, max_size=3),
    dropped=st.sets(st.sampled_from(FIELDS), max_size=2),
    keyed=st.sampled_from(["id", "none", "other"]),
)
@example(data=entry_data(), changes={}, dropped=set(), keyed="id")
def test_broken_changed_and_dropped_fields_get_the_models_answer(
    data: dict[str, Any], changes: dict[str, Any], dropped: set[str], keyed: str
) -> None:
    data = {k: v for k, v in data.items() if k not in dropped} | changes
    key = {"id": str(data.get("entry_id")).encode(), "none": None, "other": b"x"}[keyed]
    check(dumps(data), key)


@settings(max_examples=300, deadline=None)
@given(data=canonical_entries(), cut=st.integers(min_value=0, max_value=800), junk=st.binary(max_size=8))
def test_cut_and_garbled_records_get_the_models_answer(data: dict[str, Any], cut: int, junk: bytes) -> None:
    raw = orjson.dumps(data)
    check(raw[:cut] or b"{}")
    check(raw[:cut] + junk + raw[cut:])


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=64))
def test_garbage_gets_the_models_answer(raw: bytes) -> None:
    check(raw or b"null")


def test_blind_entries_are_declined_and_stored_by_the_model() -> None:
    blind = _blind()
    raw = encode(blind)
    assert check(raw, blind.entry_id.encode()) is None
    data = orjson.loads(raw)
    for change in [{"plate": "川A12345"}, {"description": "x"}, {"tolerance": 2}, {"blind": None}]:
        check(orjson.dumps(data | change))
    clear = entry_data(entry_id=blind.entry_id)
    check(orjson.dumps(clear | {"sealed_details": data["sealed_details"]}))


def test_a_clear_entry_re_placed_blind_and_back_is_stored_as_by_the_model() -> None:
    blind = _blind()
    clear = orjson.dumps(entry_data(entry_id=blind.entry_id))
    lean, by_model = WatchlistState(), WatchlistState()
    for raw in (clear, encode(blind), clear):
        lean.apply(blind.entry_id.encode(), raw)
        by_model.upsert(decode(raw, WatchlistEntry))
        assert stored(lean) == stored(by_model)


def test_the_control_apps_and_the_benchmarks_entries_are_taken_by_the_lean_path() -> None:
    now = datetime.now(UTC)
    template = entry_template(now)  # bench/hotpath/records.py, as bench/hotpath/produce.py sends it
    assert check(orjson.dumps(template)) is not None
    for over in [{"plate": "川A?23*", "plate_colour": None}, {"tolerance": 1, "description": None}]:
        assert check(orjson.dumps(template | over)) is not None
    made = WatchlistEntry.model_validate(entry_data(entry_id=str(uuid.uuid4())))
    assert check(encode(made)) is not None  # streams/control/watchlist/logic.py: encode(entry)
    hong_kong = WatchlistEntry.model_validate(entry_data(plate="1L0VEU", plate_issuer="hong_kong"))
    assert hong_kong.plate_warnings
    assert check(encode(hong_kong)) is not None
