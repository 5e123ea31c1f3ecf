"""Per-partition dedup of checkpoint hits: same event id, or same pass within a window of event time.

Rules. A hit is a duplicate if

* its event id is the id of an earlier hit (connector retries), or
* an earlier hit of the same (normalised plate, plate colour, checkpoint) has an event time (pass
  time, never the wall clock) within ``window_s`` of it, earlier *or later* (inclusive): a read 3 s
  older than one already seen is the same pass (two cameras on one lane, out-of-order delivery).

Duplicates count as sightings too, so reads of a vehicle at one checkpoint that follow each other
within the window are one pass however long they go on (a car waiting at a red light, a video reader
re-reading a parked car): one delivery, not one per window. Per pass key the state is the set of
clusters of such reads ``[first, last]``; a hit is a duplicate exactly when it falls within the window
of a cluster (its reads are never more than a window apart, so this is the rule above, not an
approximation).

Watermark and lateness. State is kept relative to the newest event time seen in the partition, but
never past ``horizon`` (the wall clock the caller sets: a read dated in the future cannot move it; the
watermark): a read is forgotten once it is more than ``window_s + max_lateness_s`` (the retention)
behind it. A hit at most ``max_lateness_s`` behind the watermark (default half a window: two
connectors reporting one checkpoint seconds apart) is answered exactly by the rules; a later one (a
connector catching up a backlog) is compared with what is still kept, so it may pass as new but is
never wrongly dropped: "nothing lost" wins over "nothing twice", and the deterministic
``delivery_id`` still removes an identical event downstream. Eviction is by time buckets of
``retention / 16``, a few operations per hit, amortised. Memory is (hits given per second) x
(retention + one bucket) x ~290 bytes (a UUID event id, its pass key, two dict slots): at 100,000 hits/s
with the default 10 s window ~1.6 M hits, ~450 MB. The hot path gives it its matching hits only
(``streams.hotpath.pipeline``: what matches nothing produces nothing), ~1 % of its reads: kilobytes.

Rebuild after a rebalance or a restart: ``rebuild`` with the sightings the hot path wrote to its
dedup changelog (every hit it gave ``seen``, in order, in the same transaction as the outputs of the
batch), less the chunks it deleted once they fell behind the retention. An answer depends only on the
hits within a window of it, so the live answers are the ones the previous owner would have given.

Lifecycle: one ``DedupWindow`` per assigned partition, created (or rebuilt) on assignment and dropped on
revocation. Not thread-safe.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["DedupWindow"]

_BUCKETS_PER_RETENTION = 16


class DedupWindow:
    """Dedup state of one input partition (see the module docstring for the rules)."""

    __slots__ = (
        "_buckets",
        "_evict_at",
        "_floor",
        "_grain",
        "_ids",
        "_max_t",
        "_open_from",
        "_open_ids",
        "_open_keys",
        "_open_until",
        "_passes",
        "_retention",
        "_window",
        "horizon",
    )

    def __init__(self, window_s: float = 10.0, max_lateness_s: float | None = None) -> None:
        lateness = window_s / 2 if max_lateness_s is None else max_lateness_s
        if window_s <= 0 or lateness < 0:
            raise ValueError("window_s must be > 0 and max_lateness_s >= 0")
        self._window = float(window_s)
        self._retention = self._window + lateness
        self._grain = self._retention / _BUCKETS_PER_RETENTION
        #: the watermark never passes this (the caller's wall clock): one read dated in the future
        #: cannot switch eviction off for the partition, nor push the window ahead of every other read
        self.horizon = math.inf
        self.clear()

    @property
    def window_s(self) -> float:
        """Two hits of one pass key closer than this in event time are one pass."""
        return self._window

    @property
    def retention_s(self) -> float:
        """How far behind the watermark hits are kept (window + max lateness)."""
        return self._retention

    @property
    def watermark(self) -> float:
        """The newest event time seen (``-inf`` before the first hit)."""
        return self._max_t

    def clear(self) -> None:
        """Forget everything (a revoked partition, or the start of a rebuild)."""
        self._forget_hits()
        self._max_t = -math.inf
        self._floor = -(2**62)  # lowest bucket still kept
        self._evict_at = -math.inf

    def _forget_hits(self) -> None:
        """Drop every remembered hit at once (the watermark and eviction bounds stay)."""
        self._ids: dict[str, float] = {}
        # pass key -> event time of its one read, or clusters of reads [first, last, first, last, ...]
        self._passes: dict[bytes, float | list[float]] = {}
        # time bucket -> (event ids, pass keys) of the hits seen in it
        self._buckets: dict[int, tuple[list[str], list[bytes]]] = {}
        self._open_ids: list[str] = []  # the lists of the current bucket, valid for [from, until)
        self._open_keys: list[bytes] = []
        self._open_from = self._open_until = math.inf

    def __len__(self) -> int:
        """How many hits are remembered."""
        return len(self._ids)

    def seen(self, event_id: str, plate: str, colour: str | None, checkpoint: str, t: float) -> bool:
        """True if this hit is a duplicate; either way, remember it as a sighting (see module doc).

        ``t`` is the pass time in (finite) epoch seconds; ``colour`` may be None (unknown).
        """
        if t > self._max_t:
            mark = t if t <= self.horizon else self.horizon
            if mark > self._max_t:
                self._max_t = mark
                if mark >= self._evict_at:
                    self._evict(mark)
        ids = self._ids
        if event_id in ids:
            return True
        ids[event_id] = t
        key = f"{plate}\x1f{colour}\x1f{checkpoint}".encode()
        passes = self._passes
        known = passes.get(key)
        if known is None:  # the common case: a vehicle not seen here within the retention
            passes[key] = t
            duplicate = False
        elif isinstance(known, list):
            duplicate = _absorb(known, t, self._window)
        elif -self._window <= t - known <= self._window:
            passes[key] = [known, t] if known <= t else [t, known]
            duplicate = True
        else:
            passes[key] = [known, known, t, t]
            duplicate = False
        if not self._open_from <= t < self._open_until:  # most hits land in the newest bucket
            self._open(t)
        self._open_ids.append(event_id)
        self._open_keys.append(key)
        return duplicate

    def _open(self, t: float) -> None:
        """Make the bucket of ``t`` (or the oldest kept, for a hit older than the kept state) current."""
        bucket = max(int(t // self._grain), self._floor)
        kept = self._buckets.get(bucket)
        if kept is None:
            kept = self._buckets[bucket] = ([], [])
        self._open_ids, self._open_keys = kept
        self._open_from = bucket * self._grain if bucket > self._floor else -math.inf
        self._open_until = (bucket + 1) * self._grain

    def rebuild(self, records: Iterable[tuple[str, str, str | None, str, float]]) -> int:
        """Start over from ``(event_id, plate, colour, checkpoint, t)`` records already processed."""
        self.clear()
        count = 0
        for event_id, plate, colour, checkpoint, t in records:
            self.seen(event_id, plate, colour, checkpoint, t)
            count += 1
        return count

    def _evict(self, t: float) -> None:
        cutoff = t - self._retention
        floor = int(cutoff // self._grain)  # buckets below it only hold times below the cutoff
        self._evict_at = (floor + 1) * self._grain + self._retention
        if floor <= self._floor:
            return
        self._floor = floor
        if self._buckets and max(self._buckets) < floor:  # a jump past every kept hit: all of it goes,
            self._forget_hits()  # freed whole, not one key at a time
            return
        self._open_from = self._open_until = math.inf  # the open bucket may go, or become the floor
        ids, passes = self._ids, self._passes
        for bucket in [b for b in self._buckets if b < floor]:
            kept_ids, kept_keys = self._buckets.pop(bucket)
            for event_id in kept_ids:  # an id is kept in the bucket of its one recording only
                ids.pop(event_id, None)
            for key in kept_keys:
                known = passes.get(key)
                if known is None:
                    continue
                if isinstance(known, list):
                    pairs = zip(known[0::2], known[1::2], strict=True)
                    live = [bound for first, last in pairs if last >= cutoff for bound in (first, last)]
                    if not live:
                        del passes[key]
                    elif len(live) < len(known):
                        passes[key] = live
                elif known < cutoff:
                    del passes[key]


def _absorb(clusters: list[float], t: float, window: float) -> bool:
    """Add a read at ``t`` to a pass key's clusters ``[first, last, ...]``; True if it was a duplicate."""
    near = [i for i in range(0, len(clusters), 2) if clusters[i] - window <= t <= clusters[i + 1] + window]
    if not near:
        clusters += (t, t)
        return False
    first = min(t, *(clusters[i] for i in near))
    last = max(t, *(clusters[i + 1] for i in near))
    for i in reversed(near):  # a read can bridge two clusters: they become one
        del clusters[i : i + 2]
    clusters += (first, last)
    return True
