"""Example-based tests of plate normalisation and validation, and of the packaged CCPD sample."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from schemas.plates import Plate, PlateError, PlateKind, check_plate, normalise_plate, plate_key

K = PlateKind

VALID = [
    # (input, canonical text, kind, province)
    ("川A12345", "川A12345", K.ORDINARY, "川"),
    ("川a·12345", "川A12345", K.ORDINARY, "川"),
    ("川A-123 45", "川A12345", K.ORDINARY, "川"),
    ("川A•12.345", "川A12345", K.ORDINARY, "川"),
    ("川Ａ１２３４５", "川A12345", K.ORDINARY, "川"),
    ("  渝b 0031d\t", "渝B0031D", K.ORDINARY, "渝"),
    ("川A1234D", "川A1234D", K.ORDINARY, "川"),
    ("川O12345", "川O12345", K.ORDINARY, "川"),
    ("川012345", "川O12345", K.ORDINARY, "川"),
    ("黔A12345", "贵A12345", K.ORDINARY, "贵"),
    ("滇A12345", "云A12345", K.ORDINARY, "云"),
    ("滬A12345", "沪A12345", K.ORDINARY, "沪"),
    ("皖AD66178", "皖AD66178", K.NEW_ENERGY_SMALL, "皖"),
    ("粤B·D00550", "粤BD00550", K.NEW_ENERGY_SMALL, "粤"),
    ("川AFA1234", "川AFA1234", K.NEW_ENERGY_SMALL, "川"),
    ("川A12345D", "川A12345D", K.NEW_ENERGY_LARGE, "川"),
    ("川A12345F", "川A12345F", K.NEW_ENERGY_LARGE, "川"),
    ("川A1234警", "川A1234警", K.POLICE, "川"),
    ("粤O1234警", "粤O1234警", K.POLICE, "粤"),
    ("川A1234学", "川A1234学", K.COACH, "川"),
    ("川A1234學", "川A1234学", K.COACH, "川"),
    ("川A1234挂", "川A1234挂", K.TRAILER, "川"),
    ("粤Z·1234港", "粤Z1234港", K.HK_MACAU_CROSSBORDER, "粤"),
    ("粵Z1234澳", "粤Z1234澳", K.HK_MACAU_CROSSBORDER, "粤"),
    ("沪A1234领", "沪A1234领", K.CONSULATE, "沪"),
    ("川A1234试", "川A1234试", K.TEST_VEHICLE, "川"),
    ("川A1234超", "川A1234超", K.OVERSIZE, "川"),
    ("川A1234应急", "川A1234应急", K.EMERGENCY, "川"),
    ("使224-009", "使224009", K.EMBASSY, None),
    ("224009使", "使224009", K.EMBASSY, None),
    ("WJ粤1609X", "WJ粤1609X", K.ARMED_POLICE, "粤"),
    ("WJ粤-8888X", "WJ粤8888X", K.ARMED_POLICE, "粤"),
    ("wj川12345", "WJ川12345", K.ARMED_POLICE, "川"),
    ("WJ01-12345", "WJ0112345", K.ARMED_POLICE, None),
    ("JA12345", "JA12345", K.MILITARY, None),
    ("JA·12345", "JA12345", K.MILITARY, None),
    ("LW2468", "LW2468", K.HONG_KONG, None),
    ("fp 507", "FP507", K.HONG_KONG, None),
    ("CP1", "CP1", K.HONG_KONG, None),
    ("9999", "9999", K.HONG_KONG, None),
    ("MA1234", "MA1234", K.HONG_KONG, None),
    ("MA-12-34", "MA-12-34", K.MACAU, None),
    ("ma 12 34", "MA-12-34", K.MACAU, None),
    ("ＭＡ－１２－３４", "MA-12-34", K.MACAU, None),
    ("M-00-01", "M-00-01", K.MACAU, None),
    ("AA-12-34", "AA-12-34", K.MACAU, None),
    ("CM-12345", "CM12345", K.MILITARY, None),
]


@pytest.mark.parametrize(("raw", "text", "kind", "province"), VALID)
def test_valid_plates_normalise(raw: str, text: str, kind: PlateKind, province: str | None) -> None:
    plate = normalise_plate(raw)
    assert (plate.text, plate.kind, plate.province) == (text, kind, province)
    assert plate_key(raw) == text


INVALID = [
    ("亚A12345", "unknown province character '亚'"),
    ("川A1234", "expected 7 characters for an ordinary plate, got 6"),
    ("川", "expected 7 characters for an ordinary plate, got 1"),
    ("川A1234567", "expected 7 characters for an ordinary plate or 8 for a new-energy plate, got 9"),
    ("川A123456", "an 8-character plate is a new-energy plate"),
    ("川AD1234A", "a small new-energy plate ends in 4 digits"),
    ("川A1234AD", "a large new-energy plate has 5 digits before its D/F"),
    ("川AABC12", "at most 2 letters, got 3"),
    ("川I12345", "letter 'I' cannot be an issuing-authority letter"),
    ("川112345", "issuing-authority letter expected after '川', got '1'"),
    ("川A12#45", "unexpected character '#' in the serial"),
    ("川A12警45", "unexpected character '警' in the serial"),
    ("川A12345警", "expected 7 characters for a police plate, got 8"),
    ("川A1234港", "cross-border plates are issued only as 粤Z…港"),
    ("沪A12B4领", "a consulate plate has 4 digits before 领"),
    ("使22400", "an embassy plate is 使 and 6 digits"),
    ("WJ粤12X", "an armed-police plate has 4 or 5 digits"),
    ("WJ亚1234X", "province character or 2-digit code after WJ"),
    ("IO12", "letter 'I' cannot occur in a Hong Kong mark"),
    ("QA12", "letter 'Q' cannot occur in a Hong Kong mark"),
    ("AB0123", "no leading zero"),
    ("OA12345", "letter 'O' cannot occur in a military plate"),
    ("A12345B", "has no province character and is not a Hong Kong, Macau or military plate"),
    ("A川12345", "a mainland plate starts with its province character"),
    ("#A12345", "unexpected character '#' at the start"),
    ("民航12345", "civil-aviation"),
    ("", "empty plate"),
    (" · ", "empty plate"),
    ("川A12345" * 3, "too long for a plate"),
    ("x" * 100, "too long for a plate"),
]


@pytest.mark.parametrize(("raw", "message"), INVALID)
def test_invalid_plates_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(PlateError, match=re.escape(message)):
        normalise_plate(raw)
    with pytest.raises(PlateError):
        plate_key(raw)


def test_serial_i_and_o_are_read_as_one_and_zero_and_marked_corrected() -> None:
    plate = normalise_plate("川A1I2O4")
    assert plate == Plate("川A11204", K.ORDINARY, "川")
    assert plate.corrected
    assert normalise_plate("川AD1O234").text == "川AD10234"
    assert normalise_plate("使22400O").text == "使224000"
    assert normalise_plate("JA1234O").text == "JA12340"
    assert not normalise_plate("川A11204").corrected


def test_authority_zero_is_the_organ_letter_and_marked_corrected() -> None:
    assert normalise_plate("粤01234警") == Plate("粤O1234警", K.POLICE, "粤")
    assert normalise_plate("川012345").corrected
    assert not normalise_plate("川O12345").corrected


def test_changes_of_form_are_not_corrections() -> None:
    for raw in ("川ａ·12345", "黔A12345", "粵Z1234港", "224009使", "ma 12 34"):
        assert not normalise_plate(raw).corrected


def test_plate_error_is_a_value_error() -> None:
    assert issubclass(PlateError, ValueError)


def test_non_text_input_is_a_plate_error() -> None:
    with pytest.raises(PlateError, match="a plate must be text, got int"):
        normalise_plate(12345)  # type: ignore[arg-type]
    with pytest.raises(PlateError, match="got bytes"):
        plate_key("川A12345".encode())  # type: ignore[arg-type]


def test_check_plate_valid() -> None:
    assert check_plate("川a·12345") == {
        "input": "川a·12345",
        "valid": True,
        "plate": "川A12345",
        "kind": "ordinary",
        "error": None,
    }


def test_check_plate_invalid() -> None:
    assert check_plate("亚A12345") == {
        "input": "亚A12345",
        "valid": False,
        "plate": None,
        "kind": None,
        "error": "unknown province character '亚'",
    }


def _sample() -> list[str]:
    text = resources.files("schemas").joinpath("data", "ccpd_balanced_sample.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line]


def test_every_ccpd_sample_plate_validates_unchanged() -> None:
    plates = _sample()
    assert len(plates) == 8579
    failures = [c for c in map(check_plate, plates) if not c["valid"] or c["plate"] != c["input"]]
    assert failures == []
    assert {normalise_plate(p).kind for p in plates} == {K.ORDINARY}


def test_ccpd_sample_agrees_with_the_rules_pattern() -> None:
    rules = json.loads(resources.files("schemas").joinpath("data", "plate_rules.json").read_text("utf-8"))
    provinces = "".join(p["abbr"] for p in rules["province_abbreviations"])
    pattern = re.compile(rules["ordinary_plate"]["pattern"].replace("[PROV]", f"[{provinces}]"))
    assert all(pattern.match(p) for p in _sample())


def test_every_province_character_in_the_rules_is_accepted() -> None:
    rules = json.loads(resources.files("schemas").joinpath("data", "plate_rules.json").read_text("utf-8"))
    for entry in rules["province_abbreviations"]:
        assert normalise_plate(f"{entry['abbr']}A12345").province == entry["abbr"]
