"""What the generated load is drawn from: plates, checkpoints, watchlist targets, and the tally of it."""

from __future__ import annotations

import random
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench.bench_matcher import PlateGen
from bench.hotpath.records import hit_record
from schemas.fields import normalised_plate_text
from schemas.plates import PlateError
from schemas.zone import Zone
from streams.hotpath.config import HotpathSettings
from streams.hotpath.confusion import classes_of
from streams.hotpath.matcher import WatchlistIndex

CHECKPOINTS = 175
#: a planted hit matches at most this many entries, or the worker sends it to the DLQ instead
MAX_FANOUT: int = HotpathSettings.model_fields["max_match_fanout"].default


#: the plates of the escalation scenarios (``bench.hotpath.escalate``): no generated read carries one, so a
#: scenario's clone is judged on its own four reads (until 2026-12-06 ~3 of 73 scenarios met a background
#: read of their plate from phase 1 and escalated 30 s early or, once fired, not at all)
SCENARIO_PLATE = re.compile(r"川AZ[0-9]{4}")


def scenario_plate(n: int) -> str:
    """The plate of escalation scenario ``n``."""
    return f"川AZ{n % 10000:04d}"


def valid_plate(text: str) -> bool:
    """Whether ``text`` is a plate the normaliser accepts unchanged."""
    try:
        return normalised_plate_text(text) == text
    except PlateError:
        return False


def random_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (reproducible with the seed)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Plates:
    """Realistic normalised plates: the CCPD sample (each once, spread over the run) and generated ones."""

    def __init__(self, rng: random.Random, ccpd: list[str], draws: int) -> None:
        self.rng = rng
        self.gen = PlateGen(rng)
        self.ccpd = ccpd
        self.ccpd_share = min(0.25, len(ccpd) / max(draws, 1))
        self.ccpd_used = 0
        self.invalid = 0  # generated plates the normaliser rejects (see the report)

    def fresh(self) -> tuple[str, str]:
        rng = self.rng
        if self.ccpd and rng.random() < self.ccpd_share:
            plate = self.ccpd.pop()
            self.ccpd_used += 1
            colour = "green" if len(plate) == 8 else rng.choices(("blue", "yellow"), (0.85, 0.15))[0]
            if not SCENARIO_PLATE.fullmatch(plate):
                return plate, colour
        while True:
            plate, colour = self.gen.plate()
            if SCENARIO_PLATE.fullmatch(plate):
                continue  # kept for the escalation scenarios
            if valid_plate(plate):
                return plate, colour
            self.invalid += 1

    def misread(self, plate: str) -> str | None:
        """``plate`` with one character read as a look-alike (8/B, 0/D …), if it has one."""
        spots = [i for i, ch in enumerate(plate) if i > 0 and len(classes_of(ch)) > 1]
        if not spots:
            return None
        i = self.rng.choice(spots)
        swapped = self.rng.choice([c for c in classes_of(plate[i]) if c != plate[i]])
        return plate[:i] + swapped + plate[i + 1 :]

    def partial(self, plate: str) -> str:
        """A witness's partial plate of ``plate`` (mostly one or two unseen characters)."""
        rng = self.rng
        form = rng.random()
        if form < 0.60:
            chars = list(plate)
            for pos in rng.sample(range(2, len(chars)), 1 if form < 0.45 else 2):
                chars[pos] = "?"
            return "".join(chars)
        if form < 0.80:
            return plate[:3] + "*" + plate[-3:]
        if form < 0.9995:
            return "*" + plate[-5:]
        # the broad 川A1?3* form matches ~1 hit in 2,000 by itself: a handful only (10 in 1M entries)
        return plate[:3] + "?" + plate[4] + "*"


@dataclass
class Target:
    """A watchlist entry a planted hit can match: its pattern and a plate that matches it."""

    pattern: str
    colour: str | None
    tolerance: int
    plate: str
    plate_colour: str


@dataclass
class World:
    """What the generator made, and what the phases need of it."""

    zone: Zone
    regions: list[str]
    checkpoints: list[tuple[str, str]]  # (region, checkpoint id)
    entries: int = 0
    partial_entries: int = 0
    blind_entries: int = 0
    hits: int = 0
    duplicates: int = 0
    planted: int = 0
    planted_matches: int = 0
    rejected_natural: int = 0
    stats: dict[str, Any] = field(default_factory=dict)


def checkpoints_of(regions: list[str]) -> list[tuple[str, str]]:
    """175 checkpoints: a province gets four times the share of a county (largest-remainder split)."""
    weights = [4.0 if r.endswith("0000") else 1.0 for r in regions]
    exact = [CHECKPOINTS * w / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(regions)), key=lambda i: exact[i] - counts[i], reverse=True):
        if sum(counts) == CHECKPOINTS:
            break
        counts[i] += 1
    return [(r, f"{r}-KK-{k:04d}") for r, n in zip(regions, counts, strict=True) for k in range(1, n + 1)]


class HitMaker:
    """Checkpoint hits as connectors publish them: JSON bytes keyed by the normalised plate."""

    def __init__(self, world: World, plates: Plates, index: WatchlistIndex, targets: list[Target]) -> None:
        self.world, self.plates, self.index, self.targets = world, plates, index, targets
        self.rng = plates.rng
        self.now_ts = time.time()

    def fresh(self) -> tuple[str, str]:
        """A plate that matches no entry (a chance match would distort the match rate: it is redrawn)."""
        while True:
            plate, colour = self.plates.fresh()
            if not self.index.match(plate, colour, self.now_ts):
                return plate, colour
            self.world.rejected_natural += 1

    def planted(self) -> tuple[str, str, int]:
        """A plate that matches 1..MAX_FANOUT entries: exact, a look-alike misread, or a partial's plate."""
        rng = self.rng
        if not self.targets:
            raise RuntimeError("no watchlist entries to plant matching hits on")
        while True:
            t = rng.choice(self.targets)
            plate, colour = t.plate, t.colour or t.plate_colour
            if t.tolerance and t.pattern == t.plate and rng.random() < 0.3:
                misread = self.plates.misread(t.plate)
                if misread and valid_plate(misread):
                    plate = misread
            found = len(self.index.match(plate, colour, self.now_ts))
            if 0 < found <= MAX_FANOUT:
                return plate, colour, found

    def value(
        self, event_id: str, region: str, checkpoint: str, plate: str, colour: str, t: datetime
    ) -> bytes:
        return hit_record(event_id, region, checkpoint, plate, colour, t, self.rng.random())
