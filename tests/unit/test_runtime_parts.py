"""The runtime's pure parts: the dead-letter builder's bounds, stores, changelogs, client guarantees."""

from __future__ import annotations

import hashlib

from schemas.dlq import ORIGINAL_SHA256, ORIGINAL_SIZE, TRUNCATED, DlqReason, DlqStage, parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from streams.hotpath.dedup import DedupWindow
from streams.runtime import ClientFactory, DeadLetterBuilder, Stores, StoreSpec
from streams.runtime.stores import changelog_partition
from tests.support.records import Rec


def _headers(out_headers: object) -> dict[str, bytes]:
    return {k: v for k, v in out_headers}  # type: ignore[attr-defined]


def test_a_dead_letter_cuts_a_huge_value_and_says_how_large_it_was() -> None:
    value = b"x" * 5_000_000
    rec = Rec("rax.in.510000.hits", value, 42, 3, b"plate", [("trace", b"abc")])
    out = DeadLetterBuilder("rax.dlq.hotpath", "hotpath", 1024).build(
        rec, DlqReason.TOO_LARGE, DlqStage.DECODE, "too large"
    )
    assert out.topic == "rax.dlq.hotpath" and out.key == b"plate"
    assert out.value == value[:1024]
    h = _headers(out.headers)
    assert h[ORIGINAL_SIZE] == b"5000000" and h[TRUNCATED] == b"value"
    assert h[ORIGINAL_SHA256] == hashlib.sha256(value).hexdigest().encode()
    assert h["trace"] == b"abc"  # the record's own headers are kept
    letter = parse_dlq_headers(out.headers)
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == (
        "rax.in.510000.hits",
        3,
        42,
    )


def test_a_small_value_is_kept_whole_and_forged_dlq_headers_are_dropped() -> None:
    rec = Rec("t", b"{}", _headers=[("rax.dlq.reason", b"forged"), ("a", b"1")])
    out = DeadLetterBuilder("rax.dlq.control", "control").build(
        rec, DlqReason.INVALID_JSON, DlqStage.DECODE, "e"
    )
    assert out.value == b"{}"
    assert [k for k, _ in out.headers or []].count("rax.dlq.reason") == 1
    assert parse_dlq_headers(out.headers).reason == DlqReason.INVALID_JSON


def test_headers_and_keys_are_bounded() -> None:
    rec = Rec("t", b"v", _key=b"k" * 100_000, _headers=[(f"h{i}", b"y" * 1000) for i in range(500)])
    out = DeadLetterBuilder("rax.dlq.hotpath", "hotpath").build(
        rec, DlqReason.TOO_LARGE, DlqStage.DECODE, "e"
    )
    assert out.key is not None and len(out.key) == 64
    own = [k for k, _ in out.headers or [] if not k.startswith("rax.dlq.")]
    assert 0 < len(own) <= 32


def test_a_stub_has_no_value_but_the_reason_and_the_source() -> None:
    rec = Rec("rax.in.510000.acks", b"z" * 10, 7, 1)
    out = DeadLetterBuilder("rax.dlq.control", "control").stub(
        rec, DlqReason.PROCESSING_ERROR, DlqStage.PRODUCE, "could not be produced"
    )
    assert out.value is None and out.key is None
    h = _headers(out.headers)
    assert h[TRUNCATED] == b"stub" and h[ORIGINAL_SIZE] == b"10"
    assert parse_dlq_headers(out.headers).source_offset == 7


def test_store_changes_are_logged_until_clean_and_restored_by_scope() -> None:
    stores = Stores([StoreSpec("s")], lambda name: f"cl-{name}", 6)
    a = stores.get("s", ("in", 0))
    a["x"] = {"n": 1}
    a["y"] = [1]
    del a["y"]
    changes = sorted(stores.changes())
    part = changelog_partition(("in", 0), 6)
    assert changes == [("cl-s", part, b"in\x1f0\x1fx", b'{"n":1}'), ("cl-s", part, b"in\x1f0\x1fy", None)]
    stores.clean()
    assert not stores.has_changes()
    restored = Stores([StoreSpec("s")], lambda name: f"cl-{name}", 6)
    for _, _, key, value in changes:
        restored.apply_changelog("s", {("in", 0)}, key, value)
    restored.apply_changelog("s", {("in", 0)}, b"in\x1f1\x1fz", b"1")  # another scope: not wanted
    assert dict(restored.get("s", ("in", 0))) == {"x": {"n": 1}}
    assert ("in", 1) not in restored.scopes() and not restored.has_changes()


def test_changelog_partition_is_stable_and_in_range() -> None:
    assert changelog_partition(("rax.in.510000.hits", 2), 6) == changelog_partition(
        ("rax.in.510000.hits", 2), 6
    )
    assert {changelog_partition((f"t{i}", i % 3), 6) for i in range(100)} <= set(range(6))


def test_client_guarantees_cannot_be_switched_off() -> None:
    factory = ClientFactory(KafkaSettings(), "test")
    cfg = factory.producer_config({"acks": "1", "enable.idempotence": False, "linger.ms": 50})
    assert cfg["acks"] == "all" and cfg["enable.idempotence"] is True
    assert cfg["partitioner"] == "murmur2_random" and cfg["linger.ms"] == 50


def test_one_far_future_read_cannot_move_the_dedup_clock_past_the_horizon() -> None:
    window = DedupWindow(10.0)
    window.horizon = 1_000.0
    window.seen("future", "川A00001", None, "K1", 253_402_300_000.0)  # year 9999
    assert window.watermark == 1_000.0
    for i in range(20_000):  # a day of reads: eviction keeps working, memory stays bounded
        window.horizon = 1_000.0 + i * 5
        window.seen(f"e{i}", f"川A{i:05d}", None, "K1", 1_000.0 + i * 5)
    assert len(window) < 10


def test_a_write_mostly_store_keeps_only_uncommitted_values_and_still_writes_tombstones() -> None:
    stores = Stores([StoreSpec("s")], lambda name: f"cl-{name}", 6)
    store = stores.get("s", ("in", 0))
    store["old"] = "1"
    stores.clean()  # committed
    store["new"] = "2"
    store.forget_committed()
    assert dict(store) == {"new": "2"}  # the committed value lives in the changelog only
    store.delete("old")  # not in memory any more: its tombstone is written all the same
    changes = {key: value for _, _, key, value in stores.changes()}
    assert changes == {b"in\x1f0\x1fnew": b'"2"', b"in\x1f0\x1fold": None}
