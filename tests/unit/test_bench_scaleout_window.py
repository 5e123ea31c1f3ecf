"""The scale-out benchmark's throughput window: too few hits to time is a clear error, not an assert."""

from __future__ import annotations

import pytest

from bench.common import Progress
from bench.scaleout.throughput import measured_window


def test_hits_counted_within_one_sample_say_to_run_with_more_hits() -> None:
    progress = Progress(total=5000, samples=[(0.0, 0, 0.0), (0.25, 5000, 0.1)], finished=True)
    with pytest.raises(RuntimeError, match="more --hits"):
        measured_window(progress)


def test_hits_counted_over_several_samples_are_timed_from_the_first_progress_to_the_last() -> None:
    samples = [(0.0, 0, 0.0), (0.25, 1000, 0.1), (0.5, 3000, 0.2), (0.75, 5000, 0.3), (1.0, 5000, 0.3)]
    progress = Progress(total=5000, samples=samples, finished=True)
    assert measured_window(progress) == (samples[1], samples[3])
