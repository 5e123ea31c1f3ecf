"""Order-free summaries: nearest-rank percentiles and a fixed-bucket histogram of delays."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence

__all__ = ["DELAY_BOUNDS", "bucket", "histogram_percentile", "percentile", "ratio"]

#: upper bounds (seconds) of the read → exchange delay buckets; the last one takes everything later
DELAY_BOUNDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 86400.0)


def percentile(values: Iterable[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (0 < q ≤ 1) of ``values``, rounded to ms; ``None`` if empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 3)


def bucket(delay: float) -> int:
    """The index of the delay bucket ``delay`` seconds falls in (negative delays: the first)."""
    return min(bisect.bisect_left(DELAY_BOUNDS, delay), len(DELAY_BOUNDS) - 1)


def histogram_percentile(counts: Sequence[int], q: float) -> float | None:
    """The upper bound of the bucket holding the nearest-rank ``q`` quantile; ``None`` if empty."""
    total = sum(counts)
    if total == 0:
        return None
    rank, seen = max(1, math.ceil(q * total)), 0
    for i, n in enumerate(counts):
        seen += n
        if seen >= rank:
            return DELAY_BOUNDS[i]
    return DELAY_BOUNDS[-1]


def ratio(part: int, whole: int) -> float | None:
    """part / whole rounded to 4 places, ``None`` when whole is 0."""
    return round(part / whole, 4) if whole else None
