"""The hot-path benchmark's protected run: the zone it seals, its verdict, and the CPU-by-thread reading."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime

from bench.common import thread_cpu_seconds, thread_runqueue_wait_seconds
from bench.hotpath.paths import ZONE_FILE
from bench.hotpath.protect import PROTECTED_ROW, sealed_zone
from bench.hotpath.report import verdicts
from ops.zone import load_zone_file
from schemas.keys import KeyPurpose, current_key


def test_the_sealed_zone_seals_every_agreement_to_every_regions_key() -> None:
    now = datetime.now(UTC)
    zone = sealed_zone(load_zone_file(ZONE_FILE), now)
    assert zone.agreements and all(a.seal for a in zone.agreements)
    assert all(current_key(zone.keys, r.code, KeyPurpose.SEAL, now) is not None for r in zone.regions)


def _result(kept: float) -> dict[str, object]:
    row = {"progress": {"rate_per_s": 30_000.0}, "peak_rss_mb": 500.0}
    return {
        "throughput": {"hot path": row, PROTECTED_ROW: row},
        "latency": {"read_to_delivery_ms": {"p99": 100.0}},
        "protection": {"rate_kept": kept},
    }


def _protection_verdict(kept: float, match_rate: float) -> dict[str, object]:
    args = argparse.Namespace(entries=50_000, latency_rate=10_000.0, match_rate=match_rate)
    return next(v for v in verdicts(_result(kept), args) if "blind" in str(v["target"]))


def test_the_protection_target_is_judged_at_a_one_percent_match_rate() -> None:
    assert _protection_verdict(0.72, 0.01) | {"measured": 0.72} == {
        "target": "hot path rate with MACs, blind entries and sealing on / off (same load)",
        "measured": 0.72,
        "wanted": ">= 0.85 at a 1 % match rate",
        "verdict": "MISS",
        "conditions_met": True,
    }
    assert _protection_verdict(0.86, 0.01)["verdict"] == "PASS"
    assert _protection_verdict(0.86, 0.0005)["conditions_met"] is False


def test_cpu_by_thread_names_this_processs_threads() -> None:
    sum(i * i for i in range(200_000))  # some CPU on this thread
    by_name = thread_cpu_seconds(os.getpid())
    assert by_name and sum(by_name.values()) > 0
    assert thread_cpu_seconds(2**22 + 12345) == {}  # no such process
    waited = thread_runqueue_wait_seconds(os.getpid())
    assert waited.keys() == by_name.keys() and all(w >= 0 for w in waited.values())
    assert thread_runqueue_wait_seconds(2**22 + 12345) == {}
