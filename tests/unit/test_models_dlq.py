"""The dead-letter header contract: names, round trip, bounded reasons and errors that name the header."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import dlq
from schemas.codec import DecodeError, decode
from schemas.dlq import DeadLetter, DlqHeaderError, DlqReason, DlqStage, dlq_headers, parse_dlq_headers
from schemas.hits import CheckpointHit
from schemas.topics import DLQ_COMPONENTS

AT = datetime(2024, 5, 1, 0, 30, 0, 123000, tzinfo=UTC)


def _letter(**over: object) -> DeadLetter:
    values: dict[str, object] = {
        "reason": DlqReason.SCHEMA_VIOLATION,
        "stage": DlqStage.DECODE,
        "component": "hotpath",
        "error": "not a valid CheckpointHit: plate: unknown province character '无'",
        "source_topic": "rax.in.510521.hits",
        "source_partition": 4,
        "source_offset": 1234567,
        "time": AT,
    }
    return DeadLetter(**(values | over))  # type: ignore[arg-type]


def test_header_names_are_the_contract() -> None:
    names = [name for name, _ in dlq_headers(_letter())]
    assert names == [
        "rax.dlq.reason",
        "rax.dlq.stage",
        "rax.dlq.component",
        "rax.dlq.error",
        "rax.dlq.source.topic",
        "rax.dlq.source.partition",
        "rax.dlq.source.offset",
        "rax.dlq.time",
    ]
    assert all(name.startswith(dlq.HEADER_PREFIX) for name in names)
    headers = dict(dlq_headers(_letter()))
    assert headers["rax.dlq.time"] == b"2024-05-01T00:30:00.123Z"
    assert headers["rax.dlq.source.offset"] == b"1234567"


def test_round_trip_ignores_other_headers() -> None:
    headers = [("traceparent", b"00-abc"), *dlq_headers(_letter()), ("x-other", None)]
    assert parse_dlq_headers(headers) == _letter()


def test_source_is_optional_for_connectors() -> None:
    letter = _letter(component="connector", stage=DlqStage.SOURCE, reason=DlqReason.BAD_SOURCE_RECORD,
                     source_topic=None, source_partition=None, source_offset=None)  # fmt: skip
    headers = dlq_headers(letter)
    assert dlq.SOURCE_TOPIC not in dict(headers)
    assert parse_dlq_headers(headers) == letter


@given(
    reason=st.sampled_from(list(DlqReason)),
    stage=st.sampled_from(list(DlqStage)),
    component=st.sampled_from(DLQ_COMPONENTS),
    error=st.text(min_size=0, max_size=300),
    partition=st.none() | st.integers(0, 10_000),
    offset=st.none() | st.integers(0, 2**63 - 1),
    millis=st.integers(0, 10**12),
)
def test_any_dead_letter_round_trips(
    reason: DlqReason, stage: DlqStage, component: str, error: str, partition: int | None, offset: int | None,
    millis: int,
) -> None:  # fmt: skip
    at = datetime.fromtimestamp(millis / 1000, UTC)
    letter = DeadLetter(reason, stage, component, error, "rax.in.500153.alerts", partition, offset, at)
    assert parse_dlq_headers(dlq_headers(letter)) == letter


def test_long_errors_are_cut_to_the_bound_without_breaking_utf8() -> None:
    letter = _letter(error="车牌错误" * 2000)
    value = dict(dlq_headers(letter))[dlq.ERROR]
    assert len(value) <= dlq.MAX_ERROR_BYTES
    assert value.decode("utf-8").endswith("...")


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        (dlq.REASON, None, "without header rax.dlq.reason"),
        (dlq.REASON, b"because", "rax.dlq.reason has an invalid value"),
        (dlq.STAGE, b"later", "rax.dlq.stage has an invalid value"),
        (dlq.COMPONENT, b"printer", "unknown component"),
        (dlq.SOURCE_OFFSET, b"-1", "rax.dlq.source.offset must be a non-negative integer"),
        (dlq.SOURCE_PARTITION, "٣".encode(), "rax.dlq.source.partition must be a non-negative integer"),
        (dlq.TIME, b"yesterday", "rax.dlq.time has an invalid value"),
        (dlq.TIME, b"2024-05-01T00:30:00", "rax.dlq.time has an invalid value"),
        (dlq.ERROR, None, "without header rax.dlq.error"),
    ],
)
def test_invalid_headers_are_named(header: str, value: bytes | None, expected: str) -> None:
    headers = [(n, v) for n, v in dlq_headers(_letter()) if n != header]
    if value is not None:
        headers.append((header, value))
    with pytest.raises(DlqHeaderError, match=expected):
        parse_dlq_headers(headers)


def test_dead_letter_rejects_unknown_components_and_naive_times() -> None:
    with pytest.raises(ValueError, match="unknown DLQ component"):
        _letter(component="printer")
    with pytest.raises(ValueError, match="timezone-aware"):
        _letter(time=datetime(2024, 5, 1))
    with pytest.raises(ValueError, match="negative"):
        _letter(source_offset=-5)


def test_decode_error_reason_is_a_dlq_reason() -> None:
    with pytest.raises(DecodeError) as info:
        decode(b"{}", CheckpointHit)
    letter = _letter(reason=info.value.reason, error=str(info.value))
    assert parse_dlq_headers(dlq_headers(letter)).reason is DlqReason.SCHEMA_VIOLATION
