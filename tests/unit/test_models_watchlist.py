"""Watchlist entries, plate patterns and the place / withdraw command union."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas.codec import DecodeError, decode, decode_command, encode
from schemas.plate_pattern import is_partial, normalise_pattern, pattern_regex
from schemas.watchlist import PlaceCommand, WatchlistEntry, WithdrawCommand
from tests.unit.models_factories import entry, entry_data, place, withdraw


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("川A·12345", "川A12345"),
        ("川ａ12345", "川A12345"),
        ("川A?23*", "川A?23*"),
        ("川a-?2 3＊", "川A?23*"),
        ("渝*88", "渝*88"),
        ("川A**5", "川A*5"),
        ("川AI2?O*", "川A12?0*"),
        ("粤0?23*", "粤O?23*"),
        ("粵A?12*", "粤A?12*"),
    ],
)
def test_patterns_are_normalised(raw: str, canonical: str) -> None:
    assert normalise_pattern(raw) == canonical
    assert entry(plate=raw).plate == canonical


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "empty"),
        ("*", "fixes only 0"),
        ("川?*", "fixes only 1"),
        ("A1?", "fixes only 2"),
        ("川A12#4*", "cannot occur"),
        ("川A1234567890*", "longer than any plate"),
        ("川A12", "no wildcards"),
    ],
)
def test_bad_patterns_are_rejected_with_the_reason(raw: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        normalise_pattern(raw)
    with pytest.raises(ValidationError) as info:
        entry(plate=raw)
    assert info.value.errors()[0]["loc"] == ("plate",)


def test_pattern_regex_matches_what_the_wildcards_say() -> None:
    regex = pattern_regex("川A?23*")
    assert regex.match("川AB2345") and regex.match("川A123")
    assert not regex.match("川A2345")  # ? is exactly one character
    assert not regex.match("渝AB2345")
    exact = pattern_regex("川A12345")
    assert exact.match("川A12345") and not exact.match("川A123456")


def test_partial_flag() -> None:
    assert entry(plate="川A?23*").is_partial and is_partial("渝*88")
    assert not entry().is_partial


def test_tolerance_is_bounded() -> None:
    assert entry(tolerance=0).tolerance == 0
    for bad in (-1, 3):
        with pytest.raises(ValidationError) as info:
            entry(tolerance=bad)
        assert info.value.errors()[0]["loc"] == ("tolerance",)


def test_expiry_must_follow_placement() -> None:
    with pytest.raises(ValidationError) as info:
        entry(expires_at="2024-04-30T11:00:00Z")
    assert info.value.errors()[0]["loc"] == ("expires_at",)
    assert "after placed_at" in info.value.errors()[0]["msg"]


def test_review_must_fall_within_the_life_of_the_entry() -> None:
    assert entry(review_at="2024-06-01T00:00:00Z").review_at is not None
    with pytest.raises(ValidationError) as info:
        entry(review_at="2024-08-01T00:00:00Z")
    assert info.value.errors()[0]["loc"] == ("review_at",)


def test_scope_is_checked() -> None:
    assert entry(scope=[]).scope == ()
    with pytest.raises(ValidationError) as info:
        entry(scope=["510000", "510000"])
    assert info.value.errors()[0]["loc"] == ("scope",)
    with pytest.raises(ValidationError) as info:
        entry(scope=["510000", "123456"])
    assert info.value.errors()[0]["loc"] == ("scope", 1)


def test_entry_is_active_between_placement_and_expiry() -> None:
    e = entry()
    assert e.is_active(datetime(2024, 5, 1, tzinfo=UTC))
    assert not e.is_active(datetime(2024, 7, 30, 12, tzinfo=UTC))
    assert not e.is_active(datetime(2024, 4, 30, tzinfo=UTC))


def test_commands_decode_by_op() -> None:
    placed = decode_command(encode(place()))
    assert isinstance(placed, PlaceCommand) and placed == place()
    assert placed.region == "510521"
    withdrawn = decode_command(encode(withdraw()))
    assert isinstance(withdrawn, WithdrawCommand) and withdrawn == withdraw()
    assert withdrawn.region == "510521"


def test_unknown_op_is_a_decode_error_naming_op() -> None:
    data = encode(withdraw()).replace(b'"op":"withdraw"', b'"op":"pause"')
    with pytest.raises(DecodeError, match="op"):
        decode_command(data)


def test_command_errors_name_the_nested_field() -> None:
    data = encode(place()).replace("川A12345".encode(), b"?")
    with pytest.raises(DecodeError) as info:
        decode_command(data)
    assert [e.path for e in info.value.errors] == ["place.entry.plate"]


def test_withdrawal_needs_its_own_approval_and_reason() -> None:
    data = withdraw().model_dump(mode="json")
    del data["approval"], data["reason"]
    with pytest.raises(ValidationError) as info:
        WithdrawCommand.model_validate(data)
    assert {e["loc"] for e in info.value.errors()} == {("approval",), ("reason",)}


# --- entry strictness and the owner's warnings -------------------------------------------------------


@pytest.mark.parametrize(
    ("plate", "stored", "warning"),
    [
        ("川a06tel", "川A06TEL", "serial_letters: 川A06TEL has 3 letters in its serial"),
        ("1 L0VE U", "1L0VEU", "hong_kong_personalised: 1L0VEU is taken as a Hong Kong personalised mark"),
    ],
)
def test_a_real_plate_that_breaks_a_rule_is_placed_with_a_warning(
    plate: str, stored: str, warning: str
) -> None:
    issuer = "hong_kong" if warning.startswith("hong_kong") else None
    e = entry(plate=plate, plate_issuer=issuer)
    assert e.plate == stored
    assert len(e.plate_warnings) == 1 and e.plate_warnings[0].startswith(warning)
    assert decode(encode(e), WatchlistEntry) == e


@pytest.mark.parametrize("plate", ["THE", "TBD", "xxx", "1L0VEU"])
def test_a_text_only_a_hong_kong_personalised_mark_is_refused_unless_the_entry_says_hong_kong(
    plate: str,
) -> None:
    with pytest.raises(ValidationError, match="accepted only when the entry states its issuer: plate_issuer"):
        entry(plate=plate)
    assert entry(plate=plate, plate_issuer="hong_kong").plate_warnings[0].startswith("hong_kong_personalised")


def test_a_stated_issuer_must_be_the_plates() -> None:
    assert entry(plate="川A12345", plate_issuer="mainland").plate == "川A12345"
    with pytest.raises(ValidationError, match="川A12345 is a mainland plate"):
        entry(plate="川A12345", plate_issuer="hong_kong")
    assert entry(plate="川A?23*", plate_issuer="hong_kong").plate == "川A?23*"  # partial: not checked


@pytest.mark.parametrize("plate", ["川A12345", "使224009", "川A1?34*", "*12345"])
def test_conforming_and_partial_plates_have_no_warning(plate: str) -> None:
    assert entry(plate=plate).plate_warnings == ()


def test_warnings_are_derived_from_the_plate_whatever_is_sent() -> None:
    assert entry(plate="川A12345", plate_warnings=["made up"]).plate_warnings == ()
    assert entry(plate="川A06TEL", plate_warnings=[]).plate_warnings != ()
    assert "plate_warnings" not in entry_data()  # old producers send none


@pytest.mark.parametrize(
    ("plate", "message"),
    [
        ("川AABCD2", "at most 2 letters (3 in some older or chosen serials), got 4"),
        ("川812345", "issuing-authority letter expected after '川', got '8'"),
        ("川A1234港", "cross-border plates are issued only as 粤Z…港"),
    ],
)
def test_what_only_a_misread_has_is_refused_as_an_entry(plate: str, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        entry(plate=plate)


@pytest.mark.parametrize("written", ["MA-12-34", "ma 12 34", "MA－12－34", "AA-01-84"])
def test_an_entry_on_a_macau_plate_keeps_the_form_a_read_has(written: str) -> None:
    from schemas.plates import read_plate

    e = entry(plate=written, scope=[], tolerance=0)
    assert e.plate is not None and "-" in e.plate
    assert e.plate == read_plate(e.plate).text
