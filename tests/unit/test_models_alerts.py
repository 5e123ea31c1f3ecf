"""Alerts: the rules the CAP XSD cannot express, RAX fields, geometry and decode errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.alerts import Alert, HandlingCode
from schemas.cap import Reference, Scope
from schemas.cap_info import Area, Circle
from schemas.codec import DecodeError, decode, encode
from tests.unit.models_factories import alert, alert_data


@pytest.mark.parametrize("msg_type", ["Update", "Cancel", "Ack", "Error"])
def test_messages_about_earlier_ones_need_references(msg_type: str) -> None:
    with pytest.raises(ValidationError) as info:
        alert(msg_type=msg_type)
    assert info.value.errors()[0]["loc"] == ("references",)
    ref = "zhihui@510521.police.example,RAX-510521-2024-0000,2024-05-01T08:00:00+08:00"
    assert alert(msg_type=msg_type, references=ref).references[0].identifier == "RAX-510521-2024-0000"


def test_references_parse_from_the_cap_string_and_objects() -> None:
    a = alert(
        msg_type="Cancel",
        references="a@x,ID-1,2024-05-01T07:00:00+08:00 b@y,ID-2,2024-04-30T23:00:00Z",
    )
    assert [r.key for r in a.references] == [("a@x", "ID-1"), ("b@y", "ID-2")]
    same = alert(msg_type="Cancel", references=[r.model_dump() for r in a.references])
    assert same.references == a.references
    with pytest.raises(ValidationError) as info:
        alert(msg_type="Cancel", references="a@x,ID-1")
    assert info.value.errors()[0]["loc"][0] == "references"


def test_an_alert_cannot_reference_itself_or_the_future() -> None:
    own = alert_data()
    with pytest.raises(ValidationError, match="refers to itself"):
        alert(msg_type="Update", references=f"{own['sender']},{own['identifier']},2024-05-01T00:00:00Z")
    with pytest.raises(ValidationError, match="sent after"):
        alert(msg_type="Update", references="a@x,ID-1,2024-05-02T00:00:00Z")


def test_restricted_needs_restriction_and_private_needs_addresses() -> None:
    with pytest.raises(ValidationError) as info:
        alert(restriction=None)
    assert info.value.errors()[0]["loc"] == ("restriction",)
    with pytest.raises(ValidationError) as info:
        alert(scope="Private")
    assert info.value.errors()[0]["loc"] == ("addresses",)
    private = alert(scope="Private", addresses='500153 "荣昌 command centre"')
    assert private.scope is Scope.PRIVATE
    assert private.addresses == ("500153", "荣昌 command centre")
    assert alert(scope="Public", restriction=None).restriction is None


def test_h3_needs_the_restriction_stated() -> None:
    with pytest.raises(ValidationError) as info:
        alert(scope="Public", restriction=None, handling_code="H3")
    assert info.value.errors()[0]["loc"] == ("handling_code",)
    assert alert(handling_code="H3").handling_code is HandlingCode.H3


def test_rax_fields() -> None:
    a = alert()
    assert a.plates == ("川A12345",)
    assert a.sender_region == "510521"
    assert a.as_reference() == Reference(sender=a.sender, identifier=a.identifier, sent=a.sent)
    for field, bad in (("sender_region", "999999"), ("plates", ["无牌"]), ("category", "weather")):
        with pytest.raises(ValidationError) as info:
            alert(**{field: bad})
        assert info.value.errors()[0]["loc"][0] == field


@pytest.mark.parametrize("bad", ["has space", "a,b", "a<b", "a&b"])
def test_cap_identifiers_exclude_spaces_commas_and_xml_characters(bad: str) -> None:
    with pytest.raises(ValidationError):
        alert(identifier=bad)


def test_area_geometry_is_checked() -> None:
    closed = "1,1 1,2 2,2 1,1"
    assert Area.model_validate({"area_desc": "x", "polygons": [closed]}).polygons[0][0] == (1.0, 1.0)
    for bad, why in (
        ("1,1 1,2 2,2 3,3", "first point"),
        ("1,1 1,2 1,1", "at least 4"),
        ("91,1 1,2 2,2 91,1", "90"),
    ):
        with pytest.raises(ValidationError, match=why):
            Area.model_validate({"area_desc": "x", "polygons": [bad]})
    with pytest.raises(ValidationError, match="lat,lon radius"):
        Circle.model_validate("29.1 105.3 20")
    with pytest.raises(ValidationError) as info:
        Area(area_desc="x", ceiling=100)
    assert info.value.errors()[0]["loc"] == ("ceiling",)


def test_decode_error_names_the_nested_field() -> None:
    payload = encode(alert()).replace(b'"radius_km":20.0', b'"radius_km":-1')
    with pytest.raises(DecodeError) as info:
        decode(payload, Alert)
    assert info.value.errors[0].path == "info[0].areas[0].circles[0].radius_km"
    assert "info[0].areas[0].circles[0].radius_km" in str(info.value)
