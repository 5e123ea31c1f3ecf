"""Example-based tests of plate normalisation and validation, and of the packaged CCPD sample."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from schemas.plates import (
    Plate,
    PlateError,
    PlateIssuer,
    PlateKind,
    PlateRule,
    Strictness,
    check_plate,
    entry_warnings,
    issuer_of,
    normalise_plate,
    plate_key,
    read_plate,
)
from streams.hotpath.confusion import class_key

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
    ("粤Z·AB12港", "粤ZAB12港", K.HK_MACAU_CROSSBORDER, "粤"),
    ("粤z-a12b澳", "粤ZA12B澳", K.HK_MACAU_CROSSBORDER, "粤"),
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
    ("AB 1234", "AB1234", K.HONG_KONG, None),
    ("A 1234", "A1234", K.HONG_KONG, None),
    ("9999", "9999", K.HONG_KONG, None),
    ("MA1234", "MA1234", K.HONG_KONG, None),
    ("MA-12-34", "MA-12-34", K.MACAU, None),
    ("ma 12 34", "MA-12-34", K.MACAU, None),
    ("ＭＡ－１２－３４", "MA-12-34", K.MACAU, None),
    ("M-00-01", "M-00-01", K.MACAU, None),
    ("M·12·34", "M-12-34", K.MACAU, None),
    ("MX-12-34", "MX-12-34", K.MACAU, None),
    ("AA-12-34", "AA-12-34", K.MACAU, None),
    ("CM-12345", "CM12345", K.MILITARY, None),
]


@pytest.mark.parametrize(("raw", "text", "kind", "province"), VALID)
def test_valid_plates_normalise(raw: str, text: str, kind: PlateKind, province: str | None) -> None:
    plate = normalise_plate(raw)
    assert (plate.text, plate.kind, plate.province) == (text, kind, province)
    assert plate_key(raw) == text


#: refused at both strictnesses: not the shape of any plate
INVALID = [
    ("亚A12345", "unknown province character '亚'"),
    ("川", "expected 7 characters for an ordinary plate, got 1"),
    ("川A12B4", "expected 7 characters for an ordinary plate, got 6"),
    ("川A1234567", "expected 7 characters for an ordinary plate or 8 for a new-energy plate, got 9"),
    ("川A12#45", "unexpected character '#' in the serial"),
    ("川A12警45", "unexpected character '警' in the serial"),
    ("川A12345警", "expected 7 characters for a police plate, got 8"),
    ("使22400", "an embassy plate is 使 and 6 digits"),
    ("WJ粤12X", "an armed-police plate has 4 or 5 digits"),
    ("WJ亚1234X", "province character or 2-digit code after WJ"),
    ("A川12345", "a mainland plate starts with its province character"),
    ("ABCDEFGHJ", "has no province character and is not a Hong Kong, Macau or military plate"),
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
    with pytest.raises(PlateError, match=re.escape(message)):
        read_plate(raw)
    with pytest.raises(PlateError):
        plate_key(raw)


R = PlateRule
#: a read of a plate's shape: accepted as a read (breaking the rule named, or completed), refused as
#: an entry with the message
READ_ONLY = [
    # (input, read's canonical text, rule it breaks, entry's error)
    ("川A1234", "川A1234领", None, "got 6 (a consulate plate ends in 领: 川A1234领)"),
    ("川A123456", "川A123456", R.NEW_ENERGY_SERIAL, "an 8-character plate is a new-energy plate"),
    ("川AD1234A", "川AD1234A", R.NEW_ENERGY_SERIAL, "a small new-energy plate ends in 4 digits"),
    ("川A1234AD", "川A1234AD", R.NEW_ENERGY_SERIAL, "a large new-energy plate has 5 digits before its D/F"),
    (
        "川AABCD2",
        "川AABCD2",
        R.SERIAL_LETTERS,
        "at most 2 letters (3 in some older or chosen serials), got 4",
    ),
    ("川I12345", "川I12345", R.AUTHORITY_LETTER, "letter 'I' cannot be an issuing-authority letter"),
    ("川112345", "川112345", R.AUTHORITY_LETTER, "issuing-authority letter expected after '川', got '1'"),
    ("川A1234港", "川A1234港", R.CROSS_BORDER_AUTHORITY, "cross-border plates are issued only as 粤Z…港"),
    ("沪A12B4领", "沪A12B4领", R.CONSULATE_SERIAL, "a consulate plate has 4 digits before 领"),
    ("使2Z4009", "使2Z4009", R.EMBASSY_SERIAL, "an embassy plate is 使 and 6 digits"),
    ("WJ粤1G09X", "WJ粤1G09X", R.ARMED_POLICE_FORM, "an armed-police plate has 4 or 5 digits"),
    ("WJ粤123456", "WJ粤123456", R.ARMED_POLICE_FORM, "an armed-police plate has 4 or 5 digits"),
    ("WU粤1609X", "WU粤1609X", R.ARMED_POLICE_FORM, "an armed-police plate starts with WJ"),
    ("XJ0112345", "XJ0112345", R.ARMED_POLICE_FORM, "an armed-police plate starts with WJ"),
    ("WJ4A12345", "WJ4A12345", R.ARMED_POLICE_FORM, "province character or 2-digit code after WJ"),
    ("MA-1Z-34", "MA-1Z-34", R.MACAU_FORM, "a Macau plate is M, or M or A and a letter, then two pairs"),
    ("4A 12 36", "4A-12-36", R.MACAU_FORM, "a Macau plate is M, or M or A and a letter, then two pairs"),
    ("44-12-36", "44-12-36", R.MACAU_FORM, "a Macau plate is M, or M or A and a letter, then two pairs"),
    ("IO12", "1012", None, "letter 'I' cannot occur in a Hong Kong mark"),
    ("QA12", "QA12", R.HONG_KONG_MARK, "letter 'Q' cannot occur in a Hong Kong mark"),
    ("AB0123", "AB0123", R.HONG_KONG_MARK, "no leading zero"),
    ("ILOVEU", "1L0VEU", None, "letter 'I' cannot occur in a Hong Kong mark"),
    ("4A00000", "4A00000", R.HONG_KONG_MARK, "at most 4 identical characters side by side"),
    ("OA12345", "OA12345", R.MILITARY_LETTERS, "letter 'O' cannot occur in a military plate"),
]


@pytest.mark.parametrize(("raw", "text", "rule", "message"), READ_ONLY)
def test_reads_of_a_plates_shape_are_accepted_and_entries_refused(
    raw: str, text: str, rule: PlateRule | None, message: str
) -> None:
    plate = read_plate(raw)
    assert (plate.text, plate.breaks, plate.conforms) == (text, rule, rule is None)
    assert plate_key(raw) == text
    with pytest.raises(PlateError, match=re.escape(message)):
        normalise_plate(raw)
    assert normalise_plate(raw, Strictness.READ) == plate


#: real plates that break a rule or have a form only they have: entries, with a warning for the owner
WARNED = [
    ("川A06TEL", "川A06TEL", K.ORDINARY, "serial_letters: 川A06TEL has 3 letters in its serial"),
    ("川A6ZE1N", "川A6ZE1N", K.ORDINARY, "serial_letters: 川A6ZE1N has 3 letters"),
    ("川A1ABC警", "川A1ABC警", K.POLICE, "serial_letters:"),
    ("1 L0VE U", "1L0VEU", K.HONG_KONG_PERSONALISED, "hong_kong_personalised: 1L0VEU is taken as"),
    ("A12345B", "A12345B", K.HONG_KONG_PERSONALISED, "hong_kong_personalised:"),
]


@pytest.mark.parametrize(("raw", "text", "kind", "warning"), WARNED)
def test_real_plates_that_break_a_rule_are_entries_with_a_warning(
    raw: str, text: str, kind: PlateKind, warning: str
) -> None:
    plate = normalise_plate(raw, issuer=issuer_of(kind))
    assert (plate.text, plate.kind) == (text, kind)
    (only,) = entry_warnings(plate)
    assert only.startswith(warning) and len(only) <= 128
    assert read_plate(raw) == plate


@pytest.mark.parametrize("raw", ["THE", "TBD", "xxx", "n.a.", "1L0VEU", "BS", "TVB"])
def test_a_hong_kong_personalised_mark_is_an_entry_only_when_its_issuer_is_stated(raw: str) -> None:
    with pytest.raises(
        PlateError, match="accepted only when the entry states its issuer: plate_issuer hong_kong"
    ):
        normalise_plate(raw)
    plate = normalise_plate(raw, issuer=PlateIssuer.HONG_KONG)
    assert plate.kind is K.HONG_KONG_PERSONALISED
    assert read_plate(raw) == plate  # a read needs nothing stated
    with pytest.raises(PlateError, match="not a macau one as stated"):
        normalise_plate(raw, issuer=PlateIssuer.MACAU)


def test_a_stated_issuer_must_be_the_plates() -> None:
    assert normalise_plate("LW2468", issuer=PlateIssuer.HONG_KONG).kind is K.HONG_KONG
    assert normalise_plate("MA-12-34", issuer=PlateIssuer.MACAU).kind is K.MACAU
    assert normalise_plate("粤Z1234港", issuer=PlateIssuer.MAINLAND).kind is K.HK_MACAU_CROSSBORDER
    with pytest.raises(PlateError, match="川A12345 is a mainland plate \\(ordinary\\), not a hong_kong one"):
        normalise_plate("川A12345", issuer=PlateIssuer.HONG_KONG)


@pytest.mark.parametrize("raw", ["MA1234", "MA 1234", "MA-1234", "ma1234", "M1234"])
def test_a_macau_plate_written_without_its_hyphens_is_macaus_when_the_entry_says_so(raw: str) -> None:
    plate = normalise_plate(raw, issuer=PlateIssuer.MACAU)
    assert plate.kind is K.MACAU and plate.text == ("M-12-34" if raw == "M1234" else "MA-12-34")
    assert normalise_plate(raw).kind is K.HONG_KONG  # nothing stated: the Hong Kong mark it also is
    assert read_plate(raw).kind is K.HONG_KONG  # a read states nothing either
    with pytest.raises(PlateError, match="not a macau one as stated"):
        normalise_plate("MA12345", issuer=PlateIssuer.MACAU)  # a military plate, not Macau's form


#: 粤港澳 plates and a camera's look-alike misread of each: the read's kind may differ (AB1234 read as
#: A81234 is a personalised mark), its class key does not, so a tolerant entry still matches it
HK_MACAU_MISREADS = [
    ("AB 1234", "A8 1234", K.HONG_KONG_PERSONALISED),
    ("LW 2468", "LW 2A68", K.HONG_KONG_PERSONALISED),
    ("FP 507", "FR 5O7", K.HONG_KONG),
    ("MB-12-34", "M8-12-34", K.MACAU),
    ("MA-12-34", "MA-1Z-34", K.MACAU),
    ("粤Z·AB12港", "粤2·A812港", K.HK_MACAU_CROSSBORDER),
    ("粤Z·1234澳", "粤Z·I234澳", K.HK_MACAU_CROSSBORDER),
]


@pytest.mark.parametrize(("plate", "misread", "kind"), HK_MACAU_MISREADS)
def test_look_alike_misreads_of_hong_kong_and_macau_plates_share_the_plates_class_key(
    plate: str, misread: str, kind: PlateKind
) -> None:
    read = read_plate(misread)
    assert read.kind is kind
    assert class_key(read.text) == class_key(normalise_plate(plate, issuer=issuer_of(kind)).text)


def test_a_hong_kong_mark_misread_as_six_digits_is_an_embassy_read() -> None:
    # the known limit (docs/decisions.md, "粤港澳 plates"): two look-alike letters read as digits
    read = read_plate("82 1234")  # BZ 1234
    assert (read.text, read.kind) == ("使821234", K.EMBASSY)
    assert class_key(read.text) != class_key("BZ1234")


def test_conforming_plates_have_no_warning() -> None:
    for raw, *_ in VALID:
        plate = normalise_plate(raw)
        assert plate.conforms and entry_warnings(plate) == ()


def test_embassy_plates_without_their_character() -> None:
    for raw in ("224-009", "224009", "使224009", "224009使"):
        assert normalise_plate(raw) == Plate("使224009", K.EMBASSY, None)
        assert not normalise_plate(raw).corrected


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
