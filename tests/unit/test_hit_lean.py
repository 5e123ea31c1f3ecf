"""The lean hit decoder accepts only what the model accepts, with equal values; refusals are the model's."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Annotated, Any

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import Field, TypeAdapter

from schemas.base import SINGLE_LINE, WirePart
from schemas.codec import DecodeError, decode, encode
from schemas.hit_lean import HitView, lean_hit, read_hit, view_of
from schemas.hits import CHINESE_FIELD_NAMES, CheckpointHit
from schemas.plates import PlateError, read_plate
from schemas.regions import registry
from schemas.vocab import PlateColour
from tests.unit.models_factories import hit_data
from tests.unit.test_codec_fast import json_values

REGIONS = registry().codes()
CCPD = resources.files("schemas").joinpath("data", "ccpd_balanced_sample.txt").read_text("utf-8").split()
#: plates of every kind, misreads that break a rule, and texts that are no plate (after the corpus)
PLATES = [
    *CCPD[::20],
    "川A12345", "川AD12345", "川A12345D", "粤Z1234港", "川A1234警", "沪A1234领", "川A1234应急", "使224009",
    "WJ粤1609X", "JA12345", "LW2468", "1L0VEU", "MA-12-34", "川A6ZE1N", "川O12345", "渝BD12345", "川A1234学",
    "川a12345", "川A·12345", " 川A12345", "川A12345 ", "川012345", "川AI2345", "粵A12345", "ＣＡ１２３４５",
    "无牌", "未识别", "川A1234", "川A123456789", "", " ", "MA1234", "224009使", "川A1234挂", "A81234",
]  # fmt: skip
ODD_TIMES = [
    "2024-05-01T00:30:00.1Z", "2024-05-01T00:30:00.123Z", "2024-05-01T00:30:00.1234567Z",
    "2024-05-01T08:30:00+08:00", "2024-05-01T00:30:00-00:00", "2024-05-01T00:30:00z", "2024-05-01t00:30:00Z",
    "2024-05-01 00:30:00Z", "2024-05-01T00:30Z", "2024-05-01T00:30:00", "2024-05-01 08:30:00",
    "20240501083000",
    "2024-02-30T00:30:00Z", "2024-13-01T00:30:00Z", "2024-05-01T24:00:00Z", "2024-05-01T23:59:60Z",
    "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "2024-05-01T00:30:00,5Z",
    "2024-W18-3T00:30:00Z", "20240501T003000Z", "2024-05-01T00:30:00.Z", "2024-05-01T00:30:00+0000",
    "2024-05-01T00:30:00.000000Z", " 2024-05-01T00:30:00Z", "２０２４-05-01T00:30:00Z", "1714523400",
]  # fmt: skip
ODD_TEXTS = [
    "", " ", "a ", " a", "a b", "a|b", "a |b", "a| b", "|", "a\tb", "a\x1fb", "a\x7fb", "a\x85b", "a\u00a0b",
    "a\u00adb", "a\u200bb", "a\u202eb", "a\u2066b", "a\ufeffb", "\U000e0041", "a\u3000", "\u3000a",
    "a\u2028b",
    "卡口-0042", "x" * 16, "x" * 17, "x" * 128, "x" * 129, "x" * 512, "x" * 513, "\ue000", "\U0001f697",
]  # fmt: skip

printable = st.characters(codec="utf-8", categories=["L", "N", "P", "S"])
#: texts as connectors write them (printable, no space)
clean_text = st.text(printable, min_size=1, max_size=16)


#: UTC times as encode (Z) and isoformat (+00:00) write them, with 0, 3 or 6 fraction digits
canonical_times = st.builds(
    lambda t, spec, zone: t.replace(tzinfo=None).isoformat(timespec=spec) + zone,
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from(["auto", "seconds", "milliseconds", "microseconds"]),
    st.sampled_from(["Z", "+00:00"]),
)


def _normalised(plate: str) -> str | None:
    try:
        text = read_plate(plate).text
    except PlateError:
        return None
    return text if len(text) <= 16 else None


EVENT_IDS = st.integers(0, 2**128 - 1).map(lambda n: str(uuid.UUID(int=n)))
CANONICAL_PLATE = st.sampled_from(sorted({p for p in map(_normalised, PLATES) if p is not None}))
REGION = st.sampled_from(REGIONS)


@st.composite
def canonical_hits(draw: st.DrawFn) -> dict[str, Any]:
    """A hit in the form connectors write it, optional fields present, null or absent."""
    data: dict[str, Any] = {
        "event_id": draw(EVENT_IDS),
        "checkpoint_id": draw(clean_text),
        "region": draw(REGION),
        "plate": draw(CANONICAL_PLATE),
        "pass_time": draw(canonical_times),
    }
    for name, values in OPTIONAL.items():
        how = draw(HOW)
        if how == "value":
            data[name] = draw(values)
        elif how == "null" and name not in ("schema_version", "conforms"):
            data[name] = None
    return data


HOW = st.sampled_from(["value", "null", "absent"])
OPTIONAL: dict[str, st.SearchStrategy[Any]] = {
    "plate_read": clean_text,
    "plate_type": st.integers(0, 99).map(lambda n: f"{n:02d}"),
    "plate_colour": st.sampled_from([c.value for c in PlateColour]),
    "direction": clean_text,
    "lane": st.integers(0, 99),
    "speed_kmh": st.integers(0, 400) | st.floats(0, 400),
    "confidence": st.sampled_from([0, 1]) | st.floats(0, 1),
    "image_ref": clean_text,
    "source": clean_text,
    "received_at": canonical_times,
    "schema_version": st.just(1),
    "conforms": st.booleans(),
    "breaks": st.none() | st.sampled_from(["serial_letters", "authority_letter"]),
}


def outcome(raw: bytes) -> tuple[str, Any]:
    try:
        return "ok", decode(raw, CheckpointHit)
    except DecodeError as exc:
        return "refused", (str(exc), exc.reason, exc.errors)


def assert_same_fields(view: HitView, hit: CheckpointHit) -> None:
    model = view_of(hit)
    assert view[:8] == model[:8]
    assert view.conforms == model.conforms == hit.conforms
    assert view.pass_time.utcoffset() == timedelta(0)
    assert view.received_at is None or view.received_at.utcoffset() == timedelta(0)


def check(raw: bytes) -> HitView | None:
    """The lean decoder on ``raw`` against ``decode``; returns the lean view (None: declined)."""
    expected = outcome(raw)
    lean = lean_hit(raw)
    if lean is not None:
        assert expected[0] == "ok", (raw, expected)
        assert lean.model() == expected[1]
        assert_same_fields(lean, expected[1])
    try:
        view = read_hit(raw)
    except DecodeError as exc:
        assert expected == ("refused", (str(exc), exc.reason, exc.errors))
    else:
        assert expected[0] == "ok", raw
        assert view.model() == expected[1]
        assert_same_fields(view, expected[1])
    return lean


def dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=canonical_hits())
def test_the_canonical_form_is_taken_by_the_lean_path(data: dict[str, Any]) -> None:
    raw = orjson.dumps(data)
    assert check(raw) is not None, raw
    assert check(encode(decode(raw, CheckpointHit))) is not None  # what the connectors' runtime writes


#: what a field may be broken or changed to: the edge cases of each of the model's checks
odd_values = st.one_of(
    json_values,
    st.sampled_from(PLATES + ODD_TIMES + ODD_TEXTS),
    st.sampled_from(["0B6F3C52-93A1-4D0E-8F7A-2C4E5B6A7D81", "{0b6f3c52-93a1-4d0e-8f7a-2c4e5b6a7d81}"]),
    st.sampled_from(["510521 ", "５１０５２１", "999999", "51052", "5105210", "110000", "810000"]),
    st.sampled_from(["BLUE", "Blue", "blue ", "2", "蓝", "蓝色", "yellow_green", "yellow-green", "none"]),
    st.sampled_from(["2", " 02", "002", "0x", "٠٢", 2, 99, 100, -1, 2.0]),
    st.sampled_from([-1, 0, 1, 99, 100, 400, 401, -0.0, 1.0, 1.0000001, 400.0001, 1e308, True, False]),
    st.integers(-3, 500),
    st.floats(-1, 401),
    clean_text,
    st.text(max_size=130),
)  # fmt: skip
FIELDS = [*hit_data(), "plate_read", "conforms", "breaks", "received_at", "schema_version"]


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=canonical_hits(),
    changes=st.dictionaries(
        st.sampled_from([*FIELDS, "extra", *CHINESE_FIELD_NAMES.values()]), odd_values, max_size=3
    ),
    dropped=st.sets(st.sampled_from(FIELDS), max_size=2),
    chinese=st.booleans(),
)
@example(data=hit_data(), changes={}, dropped=set(), chinese=False)
def test_broken_changed_and_renamed_fields_get_the_models_answer(
    data: dict[str, Any], changes: dict[str, Any], dropped: set[str], chinese: bool
) -> None:
    data = {k: v for k, v in data.items() if k not in dropped} | changes
    if chinese:
        data = {CHINESE_FIELD_NAMES.get(k, k): v for k, v in data.items()}
    check(dumps(data))


@settings(max_examples=400, deadline=None)
@given(data=canonical_hits(), cut=st.integers(min_value=0, max_value=600), junk=st.binary(max_size=8))
def test_cut_and_garbled_records_get_the_models_answer(data: dict[str, Any], cut: int, junk: bytes) -> None:
    raw = orjson.dumps(data)
    check(raw[:cut])
    check(raw[:cut] + junk + raw[cut:])


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=64))
def test_garbage_gets_the_models_answer(raw: bytes) -> None:
    check(raw)


def test_every_plate_of_the_corpus_and_its_spellings_gets_the_models_answer() -> None:
    accepted = 0
    for plate in [*CCPD[:: max(1, len(CCPD) // 800)], *PLATES]:
        for spelling in {plate, plate.lower(), f"{plate[:2]}·{plate[2:]}", plate.replace("0", "O")}:
            accepted += check(orjson.dumps(hit_data(plate=spelling))) is not None
    assert accepted > 800  # the normalised corpus plates are taken by the lean path


def test_the_odd_records_get_the_models_answer() -> None:
    valid = orjson.dumps(hit_data())
    for raw in [
        valid,
        b"\xef\xbb\xbf" + valid,
        valid.replace(b'"lane":2', b'"lane":2,"lane":3'),
        valid.replace(b'"lane":2', b'"lane":2,"lane":300'),
        valid.replace(b"0.93", b"NaN"),
        valid.replace(b"0.93", b"1e400"),
        valid.replace(b'"510521-KK-0042"', b'"\\ud800"'),
        b"null",
        b"[]",
        b"{}",
        b"",
        '{"plate": "川A12345"}'.encode("gbk"),
    ]:
        check(raw)


def test_the_benchmarks_and_the_integration_tests_hits_are_taken_by_the_lean_path() -> None:
    now = datetime.now(UTC)
    event_id = str(uuid.uuid4())
    bench = {  # bench/hotpath/records.py: orjson with OPT_UTC_Z
        "event_id": event_id, "checkpoint_id": "510000-K0001", "region": "510000", "plate": "川A12345",
        "plate_type": "02", "plate_colour": "blue", "pass_time": now, "direction": "1", "lane": 3,
        "speed_kmh": 65.0, "confidence": 0.9, "image_ref": f"img://510000/510000-K0001/{event_id}.jpg",
        "source": "bench-connector",
    }  # fmt: skip
    assert check(orjson.dumps(bench, option=orjson.OPT_UTC_Z)) is not None
    assert check(orjson.dumps(hit_data(pass_time=now.isoformat()))) is not None  # tests/support/hotpath.py
    assert check(encode(CheckpointHit.model_validate(hit_data(received_at=now)))) is not None


def test_only_the_space_is_printable_and_white_space() -> None:
    """Why ``str.isprintable`` and no space at the ends stand for pydantic's strip and SINGLE_LINE."""
    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF and chr(c).isprintable()]
    TypeAdapter(Annotated[str, Field(pattern=SINGLE_LINE)]).validate_python("".join(chars))  # raises if not

    class Texts(WirePart):  # the wire models' config: str_strip_whitespace
        texts: list[str]

    stripped = Texts(texts=chars).texts
    assert [c for c, s in zip(chars, stripped, strict=True) if c != s] == [" "]


def test_a_plates_conformity_is_the_models_whether_the_decoder_read_it_or_not() -> None:
    conforming = 0
    for plate in PLATES:
        try:
            truth = read_plate(plate).conforms
        except PlateError:
            continue
        check(orjson.dumps(hit_data(plate=plate)))  # the decoder reads it (and remembers it if taken)
        view = read_hit(orjson.dumps(hit_data(plate=read_plate(plate).text)))
        assert (view.conforms, view.model().conforms) == (truth, truth)
        conforming += truth
    assert 0 < conforming < len(PLATES)  # both kinds were asked about
