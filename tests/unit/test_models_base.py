"""Properties every wire model shares: frozen, no extra fields, versioned, UTC times, stable ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from schemas.base import UtcDatetime, WireModel, digest_id, new_event_id, stable_event_id
from schemas.codec import DecodeError, decode, encode
from schemas.dlq import DlqReason
from tests.unit.models_factories import every_wire_record, hit

RECORDS = every_wire_record()


class _Stamp(WireModel):
    at: UtcDatetime


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_wire_model_is_frozen(name: str) -> None:
    record = RECORDS[name]
    with pytest.raises(ValidationError, match="frozen"):
        record.schema_version = 1


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_wire_model_rejects_unknown_fields(name: str) -> None:
    record = RECORDS[name]
    data = record.model_dump(mode="json") | {"colour_of_sky": "blue"}
    with pytest.raises(ValidationError) as info:
        type(record).model_validate(data)
    assert [e["loc"] for e in info.value.errors()] == [("colour_of_sky",)]
    assert info.value.errors()[0]["type"] == "extra_forbidden"


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_wire_model_rejects_a_newer_schema_version(name: str) -> None:
    record = RECORDS[name]
    data = encode(record).replace(b'"schema_version":1', b'"schema_version":2', 1)
    with pytest.raises(DecodeError) as info:
        decode(data, type(record))
    assert info.value.reason == DlqReason.UNSUPPORTED_VERSION
    assert "schema_version" in str(info.value)


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        _Stamp(at=datetime(2024, 5, 1, 8, 30))
    assert info.value.errors()[0]["loc"] == ("at",)
    with pytest.raises(ValidationError):
        _Stamp.model_validate({"at": "2024-05-01T08:30:00"})


def test_aware_datetime_is_stored_in_utc() -> None:
    stamp = _Stamp.model_validate({"at": "2024-05-01T08:30:00+08:00"})
    assert stamp.at == datetime(2024, 5, 1, 0, 30, tzinfo=UTC)
    assert stamp.at.utcoffset() == timedelta(0)
    other = _Stamp(at=datetime(2024, 5, 1, 3, 30, tzinfo=timezone(timedelta(hours=3))))
    assert other.at.tzinfo is UTC and other.at.hour == 0
    assert b'"at":"2024-05-01T00:30:00Z"' in encode(stamp)


def test_event_id_is_canonicalised_and_validated() -> None:
    upper = hit(event_id="0B6F3C52-93A1-4D0E-8F7A-2C4E5B6A7D81")
    assert upper.event_id == "0b6f3c52-93a1-4d0e-8f7a-2c4e5b6a7d81"
    for bad in ("not-a-uuid", "0b6f3c5293a14d0e8f7a2c4e5b6a7d81", ""):
        with pytest.raises(ValidationError) as info:
            hit(event_id=bad)
        assert info.value.errors()[0]["loc"] == ("event_id",)


def test_stable_event_id_is_deterministic_per_source_record() -> None:
    a = stable_event_id("510521", "KK-0042", "2024-05-01T00:30:00Z", "川A12345")
    assert a == stable_event_id("510521", "KK-0042", "2024-05-01T00:30:00Z", "川A12345")
    assert a != stable_event_id("510521", "KK-0042", "2024-05-01T00:30:01Z", "川A12345")
    assert hit(event_id=a).event_id == a  # a valid event id
    assert new_event_id() != new_event_id()


def test_digest_id_parts_cannot_run_together() -> None:
    assert digest_id("ab", "c") != digest_id("a", "bc")
    assert len(digest_id("x")) == 32
    with pytest.raises(ValueError, match="separator"):
        digest_id("a\x1fb", "c")


def test_records_compare_and_hash_by_value() -> None:
    assert hit() == hit()
    assert hash(hit()) == hash(hit())
    assert hit() != hit(lane=3)
