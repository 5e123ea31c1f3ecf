"""``decode_fast`` accepts what ``decode`` accepts, equal, and refuses with the same error and reason."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.codec import DecodeError, decode, decode_fast
from schemas.hits import CHINESE_FIELD_NAMES, CheckpointHit
from tests.unit.models_factories import hit_data

FIELDS = [*hit_data(), "plate_read", "conforms", "breaks", "received_at", "schema_version"]

#: values a field may take in a broken or unusual record: every JSON type, edge numbers, odd text
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "川A12345",
            "川A6ZE1N",
            "粤Z1234港",
            "1L0VEU",
            "无牌",
            "川 A·12345",
            "blue",
            "蓝",
            "2",
            "02",
            "99",
            "2024-05-01T08:30:00+08:00",
            "2024-05-01 08:30:00",
            "20240501083000",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "510521",
            "500000",
            "123456",
            "a\u202eb",
            "x\u200by",
            "\ud800",
            "1e400",
            "NaN",
            "true",
            "0.5",
            "95",
        ]
    ),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def outcome(decoder: Any, raw: bytes) -> tuple[str, Any]:
    try:
        return "ok", decoder(raw, CheckpointHit)
    except DecodeError as exc:
        return "refused", (str(exc), exc.reason, exc.errors)


def same(raw: bytes) -> None:
    slow, fast = outcome(decode, raw), outcome(decode_fast, raw)
    assert fast == slow, raw


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.dictionaries(st.sampled_from([*FIELDS, "extra", "kkbh", "hphm"]), json_values, max_size=4),
    dropped=st.sets(st.sampled_from(FIELDS), max_size=2),
    chinese=st.booleans(),
)
def test_changed_dropped_and_renamed_fields(
    changes: dict[str, Any], dropped: set[str], chinese: bool
) -> None:
    data = {k: v for k, v in hit_data().items() if k not in dropped} | changes
    if chinese:
        data = {CHINESE_FIELD_NAMES.get(k, k): v for k, v in data.items()}
    same(json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass"))


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(min_value=0, max_value=400), junk=st.binary(max_size=8))
def test_cut_and_garbled_records(cut: int, junk: bytes) -> None:
    raw = orjson.dumps(hit_data())
    same(raw[:cut])
    same(raw[:cut] + junk + raw[cut:])


def test_the_odd_records_of_the_poison_corpus() -> None:
    valid = orjson.dumps(hit_data())
    for raw in [
        valid,
        b"\xef\xbb\xbf" + valid,  # a BOM
        valid.replace(b'"lane":2', b'"lane":2,"lane":3'),  # a duplicate key: the last one counts
        valid.replace(b"0.93", b"NaN"),
        valid.replace(b"0.93", b"Infinity"),
        valid.replace(b"0.93", b"1e400"),
        valid.replace(b'"510521-KK-0042"', b'"\\ud800"'),  # an unpaired surrogate, escaped
        b"[" * 10_000 + b"]" * 10_000,
        b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
        b"null",
        b"[]",
        b"",
        b" ",
        '{"plate": "川A12345"}'.encode("gbk"),
    ]:
        same(raw)
    assert decode_fast(valid, CheckpointHit) == decode(valid, CheckpointHit)
