"""One pass over some stores of one partition, a slice at a time: how a processor forgets what is stale
in stores of millions of keys without stalling its loop (the control app's retention, escalate's plates)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["Sweep"]


class Sweep:
    """One pass over the stores ``names`` of ``stores``, in that order: each store's keys are listed
    when the pass reaches it, so a key added before then is looked at too."""

    def __init__(self, stores: Mapping[str, Mapping[str, Any]], names: Sequence[str]) -> None:
        self._todo: Iterator[tuple[str, str]] = ((name, key) for name in names for key in list(stores[name]))
        self.done = False

    def take(self, count: int) -> list[tuple[str, str]]:
        """Up to ``count`` (store, key) pairs still to look at; ``done`` once none are left."""
        out: list[tuple[str, str]] = []
        for item in self._todo:
            out.append(item)
            if len(out) >= count:
                return out
        self.done = True
        return out
