"""Known vehicles: a bounded memory of plates read at two or more checkpoints, evidence against a misread.

A misread match (``streams.hotpath.matcher``: a read within look-alike substitutions of a tolerant
entry) is most often a correct read of another, innocent vehicle: a misread of a wanted plate rarely
yields the text of a real vehicle that the exchange keeps seeing. So a read whose plate this worker has
seen at two or more distinct checkpoints within the window is a *known vehicle*, and the pipeline
does not deliver its misread matches (exact and partial matches are never withheld). The read in hand
does not count: ``known`` is asked before ``record``.

Lifecycle: one ``SeenPlates`` per hot-path worker, fed every valid hit (``observe``; a repeated read at
one checkpoint adds no checkpoint, and is seen before dedup, which holds matching hits only). Hits are
keyed by plate, so a plate's reads in one region's topic reach one worker; its reads in other regions
may reach others (partitions of different topics are assigned apart), so a worker knows a vehicle from
fewer reads than the zone has. Kept in memory only, never written out; after a restart or a rebalance
it starts empty. Each of these withholds less, never more: it fails towards delivering. One exception:
a batch retried after an aborted transaction is not taken out of it again, so the retry may find a
vehicle known from that same batch's reads at two checkpoints (what it would have been a batch later).
Not thread-safe: the batch loop owns it.

Storage: per generation one dict from the plate's hash (64 bits: no plate text is kept) to the
checkpoint it was first seen at, or to "two or more"; two generations, each covering half the window,
so a plate stays known for between half the window and all of it after its second checkpoint. A
generation rotates early when it holds ``capacity`` plates, which bounds memory at about 2 x 100 bytes
x ``capacity`` (a dict is ~20 times the memory of a Bloom filter, and ~20 times faster in Python: a
read costs ~1 µs, not ~20). Two plates with one hash are taken for one: at 64 bits, never in practice.
"""

from __future__ import annotations

import math
from typing import Final

__all__ = ["SeenPlates"]

_MULTI: Final = 0  # seen at two or more distinct checkpoints
_MAX_CHECKPOINTS: Final = 1 << 16  # checkpoint ids interned (their code objects shared) up to this many


class SeenPlates:
    """Which plates were read at two or more distinct checkpoints within ``window_s`` (see module doc)."""

    __slots__ = ("_capacity", "_checkpoints", "_current", "_previous", "_started", "_window")

    def __init__(self, window_s: float, capacity: int = 1_000_000) -> None:
        if not window_s > 0 or capacity < 1:
            raise ValueError(f"window and capacity must be positive, got {window_s}, {capacity}")
        self._window = float(window_s)
        self._capacity = capacity
        self._current: dict[int, int] = {}
        self._previous: dict[int, int] = {}
        self._started = -math.inf
        self._checkpoints: dict[str, int] = {}

    def __len__(self) -> int:
        """Plates remembered (in either generation, counted once per generation)."""
        return len(self._current) + len(self._previous)

    def known(self, plate: str) -> bool:
        """True if ``plate`` was read at two or more distinct checkpoints within the window."""
        h = hash(plate)  # salted per process: fine for a memory that is never written out
        return self._current.get(h) == _MULTI or self._previous.get(h) == _MULTI

    def _code(self, checkpoint: str) -> int:
        code = self._checkpoints.get(checkpoint)
        if code is None:
            code = (hash(checkpoint) & 0x7FFFFFFF) | 1  # never _MULTI
            if len(self._checkpoints) < _MAX_CHECKPOINTS:
                self._checkpoints[checkpoint] = code
        return code

    def record(self, plate: str, checkpoint: str, pass_time: float) -> None:
        """Remember one read (after ``known`` was asked about it)."""
        if self._started == -math.inf:
            self._started = pass_time
        elif pass_time - self._started >= self._window / 2 or len(self._current) >= self._capacity:
            self._previous, self._current = self._current, {}
            self._started = pass_time
        h, code = hash(plate), self._code(checkpoint)
        current = self._current
        state = current.get(h)
        if state is None:
            before = self._previous.get(h)
            current[h] = code if before is None or before == code else _MULTI
        elif state != code and state != _MULTI:
            current[h] = _MULTI

    def observe(self, plate: str, checkpoint: str, pass_time: float) -> bool:
        """``known(plate)`` before this read, then ``record`` it: what the pipeline calls once per hit."""
        was_known = self.known(plate)
        self.record(plate, checkpoint, pass_time)
        return was_known
