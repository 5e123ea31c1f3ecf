"""The checkpoint-hit hot path: per-partition dedup, the in-memory watchlist index, and the batch loop.

Exported here is the pure logic (``dedup``, ``confusion``, ``partial``, ``matcher``): it imports
neither Kafka nor faust nor the wire models, and works on normalised plate strings and plain values.
"""

from streams.hotpath.confusion import PROVINCE_MARK, class_key
from streams.hotpath.dedup import DedupWindow
from streams.hotpath.matcher import MatchKind, MatchResult, WatchlistIndex

__all__ = ["PROVINCE_MARK", "DedupWindow", "MatchKind", "MatchResult", "WatchlistIndex", "class_key"]
