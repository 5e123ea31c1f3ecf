"""Keeps the garbage collector from walking a processor's state again and again: long-lived objects frozen.

A processor's stores hold its state as plain dicts and lists, long-lived and without reference cycles;
CPython's collector still walks them at every full collection, and a full collection comes each time
the heap has grown by a quarter. Measured on the control app at 2,000 alerts/s: 3.3 s of collection in
a 20 s burst, most of it five full walks of a heap growing by some 40,000 alerts' state. So the loop
freezes (``gc.freeze``) what survives: after a partition's state is restored, and at a batch boundary
every ``every_s`` seconds after a young-generation collection (which frees the batch's own cyclic
garbage first). Frozen objects are never walked again; they are still freed by reference counting
when a store drops them. The price: a frozen object that later becomes part of a reference cycle is
never collected — state values are acyclic, so this is at most a replaced zone object now and then.
"""

from __future__ import annotations

import gc
import time

__all__ = ["HeapKeeper"]

#: objects allocated before a young collection: 10x CPython's default (700), so the thousands of
#: short-lived objects of one batch rarely trigger one mid-batch
_YOUNG_THRESHOLD = 7000


class HeapKeeper:
    """Freezes a processor's long-lived objects; one per loop, called from the loop thread."""

    def __init__(self, every_s: float = 10.0) -> None:
        self.every_s = every_s
        self._last = time.monotonic()
        _, second, third = gc.get_threshold()
        gc.set_threshold(max(_YOUNG_THRESHOLD, gc.get_threshold()[0]), second, third)

    def freeze(self) -> None:
        """Collect the young generations, then freeze everything that survived (after a restore)."""
        gc.collect(1)
        gc.freeze()
        self._last = time.monotonic()

    def between_batches(self) -> None:
        """Freeze what survived since the last time, if ``every_s`` has passed."""
        if time.monotonic() - self._last >= self.every_s:
            self.freeze()

    @staticmethod
    def frozen() -> int:
        """How many objects are frozen (a gauge's value)."""
        return gc.get_freeze_count()
