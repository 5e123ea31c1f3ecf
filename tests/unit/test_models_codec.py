"""The codec: every wire model round-trips, and every failure is one DecodeError that says what and where."""

from __future__ import annotations

import re

import orjson
import pytest
from pydantic import ValidationError

from schemas.alerts import Alert
from schemas.codec import DecodeError, decode, decode_any, decode_command, encode
from schemas.dlq import DlqReason
from schemas.hits import CheckpointHit
from schemas.watchlist import WatchlistCommand, WatchlistEntry
from tests.unit.models_factories import alert, entry, every_wire_record, hit, hit_data

RECORDS = every_wire_record()


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_wire_model_round_trips(name: str) -> None:
    record = RECORDS[name]
    data = encode(record)
    assert isinstance(data, bytes)
    again = decode(data, type(record))
    assert again == record
    assert encode(again) == data  # stable bytes: the same record always encodes the same


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_encoding_is_plain_json_with_utc_times(name: str) -> None:
    obj = orjson.loads(encode(RECORDS[name]))
    assert obj["schema_version"] == 1
    text = encode(RECORDS[name]).decode()
    # every time is written in UTC, as ...Z (a CAP time's original offset is kept apart, as `…_offset`)
    assert not re.search(r"T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}", text)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty record value"),
        (None, "empty record value"),
        (b"{not json", "invalid JSON"),
        (b"\xff\xfe{}", "invalid JSON"),
        (b'{"a":1', "invalid JSON"),
    ],
)
def test_invalid_json_is_one_decode_error(data: bytes | None, expected: str) -> None:
    with pytest.raises(DecodeError, match=expected) as info:
        decode(data, CheckpointHit)
    assert info.value.reason is DlqReason.INVALID_JSON
    assert not isinstance(info.value, ValidationError) and isinstance(info.value, ValueError)


def test_a_json_value_that_is_not_an_object() -> None:
    with pytest.raises(DecodeError, match="expected a JSON object, got list") as info:
        decode(b"[1, 2]", CheckpointHit)
    assert info.value.reason is DlqReason.SCHEMA_VIOLATION


def test_schema_violation_names_every_field() -> None:
    bad = hit_data(region="999999", lane=-1)
    del bad["pass_time"]
    with pytest.raises(DecodeError) as info:
        decode(orjson.dumps(bad), CheckpointHit)
    err = info.value
    assert err.reason is DlqReason.SCHEMA_VIOLATION
    assert {e.path for e in err.errors} == {"region", "lane", "pass_time"}
    message = str(err)
    assert message.startswith("not a valid CheckpointHit: ")
    assert "region: unknown region code '999999'" in message
    assert "pass_time: Field required" in message
    assert "Value error," not in message


def test_chinese_alias_errors_name_the_field_as_sent() -> None:
    bad = {
        "event_id": hit().event_id,
        "kkbh": "K1",
        "xzqh": "510521",
        "hphm": "无牌",
        "gcsj": "2024-05-01 08:30:00",
    }
    with pytest.raises(DecodeError) as info:
        decode(orjson.dumps(bad), CheckpointHit)
    assert [e.path for e in info.value.errors] == ["hphm"]


def test_long_error_lists_are_cut_in_the_message_but_kept_in_errors() -> None:
    with pytest.raises(DecodeError) as info:
        decode(b"{}", WatchlistEntry)
    assert len(info.value.errors) > 5
    assert f"(and {len(info.value.errors) - 5} more)" in str(info.value)


def test_decode_any_caches_and_decodes_unions() -> None:
    from schemas.codec import _adapter

    command = decode_any(encode(RECORDS["place_command"]), WatchlistCommand)
    assert command == RECORDS["place_command"]
    assert _adapter(WatchlistCommand) is _adapter(WatchlistCommand)
    with pytest.raises(DecodeError, match="not a valid watchlist command"):
        decode_command(b'{"op":"place"}')


def test_decode_accepts_every_bytes_like_value() -> None:
    data = encode(entry())
    assert decode(bytearray(data), WatchlistEntry) == entry()
    assert decode(memoryview(data), WatchlistEntry) == entry()
    assert decode(data.decode(), WatchlistEntry) == entry()


def test_alert_round_trip_keeps_cap_semantics() -> None:
    a = alert(msg_type="Update", references="a@x,ID-1,2024-05-01T07:00:00+08:00")
    again = decode(encode(a), Alert)
    assert again.references == a.references and again.msg_type == "Update"
    assert b'"msg_type":"Update"' in encode(a)
