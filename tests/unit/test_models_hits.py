"""The checkpoint hit: Chinese field names, plate normalisation, colours, types and local pass times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.codec import DecodeError, decode, encode
from schemas.hits import CHINESE_FIELD_NAMES, CheckpointHit
from schemas.vocab import PlateColour
from tests.unit.models_factories import HIT_ID, hit, hit_data

_SAMPLE = Path(__file__).resolve().parents[2] / "schemas" / "data" / "ccpd_balanced_sample.txt"
SAMPLE_PLATES = [line.strip() for line in _SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]

CHINESE_RECORD = {
    "event_id": HIT_ID,
    "kkbh": "510521-KK-0042",
    "xzqh": "510521",
    "hphm": "川A·12345",
    "hpzl": "02",
    "hpys": "蓝",
    "gcsj": "2024-05-01 08:30:00",
    "fxlx": "1",
    "cdbh": "02",
    "clsd": "62.5",
}


def test_chinese_field_names_are_accepted_and_english_names_written() -> None:
    h = CheckpointHit.model_validate(CHINESE_RECORD)
    assert (h.checkpoint_id, h.region, h.plate, h.plate_type) == (
        "510521-KK-0042",
        "510521",
        "川A12345",
        "02",
    )
    assert (h.plate_colour, h.direction, h.lane, h.speed_kmh) == (PlateColour.BLUE, "1", 2, 62.5)
    assert h.pass_time == datetime(2024, 5, 1, 0, 30, tzinfo=UTC)
    out = encode(h).decode()
    for english, chinese in CHINESE_FIELD_NAMES.items():
        assert f'"{english}":' in out
        assert f'"{chinese}":' not in out


def test_every_chinese_name_maps_to_a_field() -> None:
    assert set(CHINESE_FIELD_NAMES) <= set(CheckpointHit.model_fields)
    assert set(CHINESE_FIELD_NAMES.values()) == {
        "kkbh",
        "xzqh",
        "hphm",
        "hpzl",
        "hpys",
        "gcsj",
        "fxlx",
        "cdbh",
        "clsd",
    }


def test_plate_is_normalised_and_the_read_kept() -> None:
    h = hit(plate="川a·i2345")
    assert h.plate == "川A12345"
    assert h.plate_read == "川a·i2345"
    assert hit(plate="川A12345").plate_read is None  # nothing to keep when the read was canonical


def test_plate_read_given_by_the_producer_is_kept() -> None:
    assert hit(plate="川A 12345", plate_read="川A 12345?").plate_read == "川A 12345?"


# 12345 is not here: five numerals are a Hong Kong personalised mark, a plausible read
@pytest.mark.parametrize("bad", ["无牌", "未识别", "川A12", "", "123456789", "川A12B4", "#12"])
def test_unreadable_plate_is_rejected_on_the_plate_field(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        hit(plate=bad)
    assert {e["loc"] for e in info.value.errors()} == {("plate",)}


@pytest.mark.parametrize(
    ("given", "colour"),
    [
        ("blue", PlateColour.BLUE),
        ("Yellow-Green", PlateColour.YELLOW_GREEN),
        ("蓝色", PlateColour.BLUE),
        ("黄", PlateColour.YELLOW),
        ("渐变绿", PlateColour.GREEN),
        ("黄绿双拼色", PlateColour.YELLOW_GREEN),
        ("0", PlateColour.WHITE),
        (1, PlateColour.YELLOW),
        ("2", PlateColour.BLUE),
        ("3", PlateColour.BLACK),
        ("4", PlateColour.GREEN),
        ("9", PlateColour.OTHER),
    ],
)
def test_plate_colour_spellings(given: object, colour: PlateColour) -> None:
    assert hit(plate_colour=given).plate_colour is colour


@pytest.mark.parametrize("bad", ["purple", "7", "紫"])
def test_unknown_colour_is_rejected(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        hit(plate_colour=bad)
    assert info.value.errors()[0]["loc"] == ("plate_colour",)


def test_plate_type_is_a_two_digit_code() -> None:
    assert hit(plate_type=2).plate_type == "02"
    assert hit(plate_type="2").plate_type == "02"
    assert hit(plate_type="52").plate_type == "52"
    with pytest.raises(ValidationError):
        hit(plate_type="small")


@pytest.mark.parametrize(
    "local", ["2024-05-01 08:30:00", "2024/05/01 08:30:00", "20240501083000", "2024-5-1 8:30:00"]
)
def test_chinese_local_pass_time_is_read_as_utc_plus_8(local: str) -> None:
    assert hit(pass_time=local).pass_time == datetime(2024, 5, 1, 0, 30, tzinfo=UTC)


def test_local_pass_time_keeps_fractions() -> None:
    assert hit(pass_time="2024-05-01 08:30:00.250").pass_time.microsecond == 250000


def test_iso_pass_time_needs_an_offset() -> None:
    assert hit(pass_time="2024-05-01T08:30:00+08:00").pass_time.hour == 0
    with pytest.raises(ValidationError) as info:
        hit(pass_time="2024-05-01T08:30:00")
    assert info.value.errors()[0]["loc"] == ("pass_time",)
    with pytest.raises(ValidationError):
        hit(pass_time="2024-13-01 08:30:00")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("confidence", 1.5),
        ("speed_kmh", -1),
        ("lane", 100),
        ("speed_kmh", float("nan")),
        ("region", "999999"),
    ],
)
def test_out_of_range_values_are_rejected(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as info:
        hit(**{field: value})
    assert info.value.errors()[0]["loc"] == (field,)


def test_nan_in_json_is_rejected_as_invalid_json() -> None:
    data = encode(hit()).replace(b'"speed_kmh":62.5', b'"speed_kmh":NaN')
    with pytest.raises(DecodeError, match="invalid JSON"):
        decode(data, CheckpointHit)


@given(
    plate=st.sampled_from(SAMPLE_PLATES),
    colour=st.sampled_from(list(PlateColour)) | st.none(),
    lane=st.integers(0, 99) | st.none(),
    speed=st.floats(0, 400, allow_nan=False) | st.none(),
    confidence=st.floats(0, 1, allow_nan=False) | st.none(),
    seconds=st.integers(0, 10 * 365 * 86400),
    micros=st.integers(0, 999_999),
)
def test_codec_round_trips_hits(
    plate: str,
    colour: PlateColour | None,
    lane: int | None,
    speed: float | None,
    confidence: float | None,
    seconds: int,
    micros: int,
) -> None:
    at = datetime.fromtimestamp(1_600_000_000 + seconds, UTC).replace(microsecond=micros)
    h = CheckpointHit.model_validate(
        hit_data(
            plate=plate, plate_colour=colour, lane=lane, speed_kmh=speed, confidence=confidence, pass_time=at
        )
    )
    assert decode(encode(h), CheckpointHit) == h


@pytest.mark.parametrize(
    ("read", "plate", "rule"),
    [
        ("川a6ze1n", "川A6ZE1N", "serial_letters"),  # a misread of 川A62E1N
        ("川812345", "川812345", "authority_letter"),  # a misread of 川B12345
        ("川A123456", "川A123456", "new_energy_serial"),
        ("湘Z1234港", "湘Z1234港", "cross_border_authority"),
    ],
)
def test_a_read_breaking_an_issuing_rule_is_a_hit_that_says_so(read: str, plate: str, rule: str) -> None:
    h = hit(plate=read)
    assert (h.plate, h.conforms, h.breaks) == (plate, False, rule)
    assert decode(encode(h), CheckpointHit) == h


def test_conforms_and_breaks_are_derived_from_the_plate_whatever_is_sent() -> None:
    assert (hit(conforms=False, breaks="serial_letters").conforms, hit(conforms=False).breaks) == (True, None)
    h = hit(plate="川A6ZE1N", conforms=True, breaks=None)
    assert (h.conforms, h.breaks) == (False, "serial_letters")
    assert (hit().conforms, hit().breaks) == (True, None)
