"""The simulated zone: border checkpoints on both sides, with lanes and directions; deterministic."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["CHECKPOINTS_PER_SIDE", "Checkpoint", "border_checkpoints", "listed_checkpoints", "sides"]

CHECKPOINTS_PER_SIDE = 175

#: 川渝: the border counties of each side (GB/T 2260); checkpoints are spread over them. The list is a
#: plausible approximation of the counties along the Sichuan–Chongqing border, not a survey.
_CHUANYU = {
    "510000": ("510521", "510522", "510904", "511623", "511681", "511622", "511722", "511724", "511781",
               "511083", "511723"),
    "500000": ("500153", "500116", "500152", "500118", "500111", "500117", "500231", "500155", "500154",
               "500229"),
}  # fmt: skip

#: fxlx codes as many platforms use them: 1 east->west, 2 west->east, 3 south->north, 4 north->south
_DIRECTION_PAIRS = (("1", "2"), ("3", "4"))


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One checkpoint (卡口): id, county, road class, and the (direction, lane) pairs it reads."""

    kkbh: str
    county: str
    road: str
    lanes: tuple[tuple[str, int], ...]
    weight: float


def sides(zone: str) -> dict[str, tuple[str, ...]]:
    """Province code -> its border counties, for ``zone``."""
    if zone != "chuanyu":
        raise ValueError(f"unknown simulated zone {zone!r}")
    return _CHUANYU


def border_checkpoints(zone: str, province: str, seed: int = 0) -> list[Checkpoint]:
    """The ``CHECKPOINTS_PER_SIDE`` checkpoints of ``province``'s side, the same for the same seed.

    About one in six is an expressway toll-gate checkpoint (8 lanes, busy), the rest national and
    provincial roads (2-4 lanes); each reads both directions of its road.
    """
    counties = sides(zone)[province]
    rng = random.Random(f"{zone}:{province}:{seed}")
    out: list[Checkpoint] = []
    for i in range(CHECKPOINTS_PER_SIDE):
        county = counties[i % len(counties)]
        expressway = rng.random() < 0.18
        per_direction = 4 if expressway else rng.choice((1, 1, 2))
        pair = rng.choice(_DIRECTION_PAIRS)
        lanes = tuple((d, lane) for d in pair for lane in range(1, per_direction + 1))
        out.append(
            Checkpoint(
                kkbh=f"{county}-K{i + 1:04d}",
                county=county,
                road="expressway" if expressway else "national_provincial",
                lanes=lanes,
                weight=(6.0 if expressway else 1.0) * rng.uniform(0.5, 1.5),
            )
        )
    return out


def listed_checkpoints(kkbhs: tuple[str, ...], region: str, seed: int = 0) -> list[Checkpoint]:
    """Checkpoints named by id (a zone file's), in ``region``: each a crossing or an expressway
    gate reading both directions of 2-4 lanes; the same for the same ids and seed."""
    out: list[Checkpoint] = []
    for kkbh in kkbhs:
        rng = random.Random(f"{kkbh}:{seed}")
        per_direction = rng.choice((2, 3, 4))
        pair = rng.choice(_DIRECTION_PAIRS)
        lanes = tuple((d, lane) for d in pair for lane in range(1, per_direction + 1))
        out.append(Checkpoint(kkbh, region, "crossing", lanes, per_direction * rng.uniform(0.5, 1.5)))
    return out
