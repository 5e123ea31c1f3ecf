"""Outcome figures: interception and false-positive rates per region, per checkpoint and per watchlist entry.

Kept in memory per inbox partition, rebuilt from its deliveries store on assignment, changed as final
outcomes arrive; ``merged`` adds the partitions up for the figures served.
Regions become Prometheus gauges (a bounded label); checkpoints and entries are ids, so they are served
as JSON on ``/outcomes`` instead of becoming metric labels.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Literal

from schemas.acks import Outcome
from streams.control.state import DeliveryState

__all__ = ["DIMENSIONS", "OutcomeStats", "merged"]

Dimension = Literal["region", "checkpoint", "entry"]
DIMENSIONS: tuple[Dimension, ...] = ("region", "checkpoint", "entry")


def _keys(state: DeliveryState) -> dict[Dimension, str | None]:
    return {"region": state["recipient"], "checkpoint": state["checkpoint"], "entry": state["entry"]}


class OutcomeStats:
    """Final outcomes counted per region, checkpoint and entry."""

    def __init__(self) -> None:
        self._counts: dict[Dimension, dict[str, Counter[str]]] = {d: defaultdict(Counter) for d in DIMENSIONS}

    def change(self, state: DeliveryState, previous: str | None, outcome: str | None) -> None:
        """Count ``outcome`` for the delivery instead of ``previous`` (either may be None)."""
        if previous == outcome:
            return
        for dimension, key in _keys(state).items():
            if key is None:
                continue
            counts = self._counts[dimension][key]
            if previous is not None:
                counts[previous] -= 1
            if outcome is not None:
                counts[outcome] += 1

    def rates(self, dimension: Dimension, key: str) -> dict[str, float | int]:
        """Final outcomes, interception rate and false-positive rate of one region, checkpoint or entry."""
        counts = self._counts[dimension].get(key, Counter())
        finals = sum(v for v in counts.values() if v > 0)
        return {
            "finals": finals,
            "interception_rate": counts[Outcome.INTERCEPTED] / finals if finals else 0.0,
            "false_positive_rate": counts[Outcome.FALSE_POSITIVE] / finals if finals else 0.0,
            **{o.value: counts[o] for o in Outcome if o != Outcome.RECEIVED},
        }

    def snapshot(self, dimension: Dimension) -> dict[str, dict[str, float | int]]:
        """The figures of every key of ``dimension``."""
        return {key: self.rates(dimension, key) for key in sorted(self._counts[dimension])}


def merged(parts: Iterable[OutcomeStats]) -> OutcomeStats:
    """One ``OutcomeStats`` with the counts of every one of ``parts`` added up."""
    total = OutcomeStats()
    for part in parts:
        for dimension, keys in part._counts.items():
            mine = total._counts[dimension]
            for key, counts in keys.items():
                mine[key].update(counts)
    return total
