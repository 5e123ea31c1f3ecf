"""Innocent traffic of a zone over days, fed to the hot path's known-vehicle memory (``SeenPlates``).

The model (stated with its figures in ``bench/README.md``): a fleet of vehicles of the zone, each of
one class: *regular* (commuters, taxis, buses, lorries: on the road most days), *occasional*
(residents who drive now and then) and *visitors* (new to the zone on the measured day: through
traffic, a first visit, a newly registered car; never seen before). Each vehicle's trips pass a few
checkpoints of its own among the zone's; a driving day has 1 + Poisson passes. The window's days
before the measured one are fed to ``SeenPlates`` in time order, then the measured day's reads are
taken in time order, each asking ``observe`` (known before this read?) as the hot path does.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from streams.hotpath.seen import SeenPlates

__all__ = ["TrafficModel", "measured_day"]

DAY = 86400.0


@dataclass(frozen=True)
class TrafficModel:
    """The assumed traffic: vehicle classes as (name, share of vehicles, chance of driving on a day
    before the measured one, chance of driving on the measured day, mean passes on a driving day)."""

    window_days: int = 7
    checkpoints: int = 2000  # Linyi's network: 2,062
    route: int = 6  # checkpoints a vehicle's usual trips pass
    classes: tuple[tuple[str, float, float, float, float], ...] = (
        ("regular", 0.55, 0.85, 0.85, 4.0),
        ("occasional", 0.30, 0.15, 0.15, 3.0),
        ("visitor", 0.15, 0.0, 1.0, 4.0),
    )

    def reads_per_vehicle(self) -> float:
        """Expected reads per vehicle of the fleet on the measured day."""
        return sum(share * today * mean for _, share, _, today, mean in self.classes)

    def describe(self) -> str:
        """The model in one line, for the report."""
        parts = [f"{name} {share:.0%} (drives {before:.0%} of days, {mean:g} passes a day)"
                 for name, share, before, _, mean in self.classes]  # fmt: skip
        return (f"{self.window_days}-day window, {self.checkpoints} checkpoints, {self.route} per vehicle's "
                f"trips; " + ", ".join(parts) + "; visitors new on the measured day")  # fmt: skip


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _day(
    rng: random.Random, fleet: list[tuple[str, int, list[int]]], model: TrafficModel, day: int, measured: bool
) -> list[tuple[float, str, str]]:
    events = []
    for plate, cls, route in fleet:
        _, _, before, today, mean = model.classes[cls]
        if rng.random() >= (today if measured else before):
            continue
        for _ in range(1 + _poisson(rng, mean - 1)):
            events.append((day * DAY + rng.random() * DAY, plate, f"K{rng.choice(route)}"))
    events.sort()
    return events


def measured_day(
    rng: random.Random, plates: list[str], model: TrafficModel
) -> tuple[SeenPlates, Iterator[tuple[str, bool]]]:
    """The memory after the window's earlier days, and the measured day's reads: (plate, known before)."""
    weights = [share for _, share, *_ in model.classes]
    classes = range(len(weights))
    fleet = [(plate, rng.choices(classes, weights)[0], rng.sample(range(model.checkpoints), model.route))
             for plate in plates]  # fmt: skip
    seen = SeenPlates(model.window_days * DAY, capacity=max(len(plates), 1))
    for day in range(model.window_days):
        for t, plate, checkpoint in _day(rng, fleet, model, day, measured=False):
            seen.record(plate, checkpoint, t)
    today = _day(rng, fleet, model, model.window_days, measured=True)

    def reads() -> Iterator[tuple[str, bool]]:
        for t, plate, checkpoint in today:
            yield plate, seen.observe(plate, checkpoint, t)

    return seen, reads()
