"""bench_hotpath --escalate: the hot path's rate over the samples the escalate worker was reading in."""

from __future__ import annotations

from bench.hotpath.throughput import _rate_beside


def test_the_rate_beside_starts_at_the_other_process_first_record_and_ends_at_the_last_progress() -> None:
    samples = [(0.0, 0, 0.0), (1.0, 100, 0.0), (2.0, 300, 0.0), (3.0, 500, 0.0), (4.0, 500, 0.0)]
    others = [0.0, 0.0, 10.0, 50.0, 90.0]  # reading from the third sample on
    assert _rate_beside(samples, others) == 200.0  # 300 -> 500 between 2.0 s and 3.0 s


def test_no_rate_beside_when_the_other_process_never_read_or_only_after_the_hot_path_was_done() -> None:
    samples = [(0.0, 0, 0.0), (1.0, 100, 0.0), (2.0, 200, 0.0), (3.0, 200, 0.0)]
    assert _rate_beside(samples, [0.0] * 4) is None
    assert _rate_beside(samples, [0.0, 0.0, 0.0, 5.0]) is None
