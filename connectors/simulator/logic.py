"""Pure hit generation: blocks of ready-to-produce (key, JSON bytes) hits from pre-built byte fragments.

Building each hit through pydantic would cost more than the whole budget at 200,000 hits/s, so the
generator validates its fragments once (every vehicle, every lane) and then only joins bytes. Block k
is a function of (seed, k) alone, so a restart at a block boundary re-creates the same records with the
same event ids. Only the pass time is the clock's.
"""

from __future__ import annotations

import random
from datetime import datetime

import orjson

from connectors.simulator.plates import Vehicle, misread
from connectors.simulator.zone import Checkpoint
from schemas.base import stable_event_id

__all__ = ["HitGenerator"]

_TABLE_BITS = 12


def _weighted_table(weights: list[float], rng: random.Random) -> list[int]:
    """A lookup table of 2**_TABLE_BITS indices drawn by weight: one getrandbits per weighted choice."""
    return rng.choices(range(len(weights)), weights, k=1 << _TABLE_BITS)


def _fragment(obj: dict[str, object]) -> bytes:
    """``"k":v,...`` of ``obj`` with a leading comma, to be joined inside one JSON object."""
    return b"," + orjson.dumps(obj)[1:-1]


class HitGenerator:
    """Generates blocks of hits for one region's checkpoints; see the module doc."""

    def __init__(
        self,
        *,
        seed: int,
        region: str,
        source_id: str,
        checkpoints: list[Checkpoint],
        vehicles: list[Vehicle],
        duplicate_rate: float,
        misread_rate: float,
        block: int,
    ) -> None:
        rng = random.Random(f"generator:{seed}:{region}")
        self.seed, self.block = seed, block
        self.duplicate_rate, self.misread_rate = duplicate_rate, misread_rate
        # event id = a per-(seed, region) UUID prefix + the hit's sequence number as the last 12 hex digits
        self.id_prefix = stable_event_id("simulator", region, str(seed))[:24].encode()
        lanes, weights, speeds = [], [], []
        for cp in checkpoints:
            for direction, lane in cp.lanes:
                lanes.append(
                    _fragment(
                        {"checkpoint_id": cp.kkbh, "region": region, "direction": direction, "lane": lane}
                    )
                )
                weights.append(cp.weight / len(cp.lanes))
        self.lanes, self.lane_table = lanes, _weighted_table(weights, rng)
        for _ in range(256):
            speeds.append(
                _fragment(
                    {"speed_kmh": round(rng.uniform(25, 120), 1), "confidence": round(rng.uniform(0.8, 1), 2)}
                )
            )
        self.speeds = speeds
        self.tail = _fragment({"source": source_id}) + b"}"
        self.vehicles = [(v.plate.encode(), self._plate_fragment(v, v.plate)) for v in vehicles]
        self.misreads = []
        for v in vehicles:
            wrong = misread(v.plate, rng)
            self.misreads.append((wrong.encode(), self._plate_fragment(v, wrong)) if wrong else None)

    @staticmethod
    def _plate_fragment(v: Vehicle, text: str) -> bytes:
        return _fragment({"plate": text, "plate_type": v.hpzl, "plate_colour": v.colour})

    def generate(self, k: int, at: datetime, count: int | None = None) -> list[tuple[bytes, bytes]]:
        """Block ``k``: ``count`` (default ``block``) hits numbered from ``k * block``, passing at ``at``."""
        n = self.block if count is None else count
        rng = random.Random(self.seed * 1_000_003 + k)
        rand, bits = rng.random, rng.getrandbits
        ts = _fragment({"pass_time": at.isoformat(timespec="milliseconds").replace("+00:00", "Z")})
        lanes, table, speeds, vehicles, misreads = (
            self.lanes,
            self.lane_table,
            self.speeds,
            self.vehicles,
            self.misreads,
        )
        nveh, prefix, tail, dup, bad = (
            len(vehicles),
            self.id_prefix,
            self.tail,
            self.duplicate_rate,
            self.misread_rate,
        )
        out: list[tuple[bytes, bytes]] = []
        seq = k * self.block
        while len(out) < n:
            # a skewed choice: a few vehicles (commuters, buses, lorries on a route) pass very often
            v = int(nveh * rand() * rand())
            lane = lanes[table[bits(_TABLE_BITS)]]
            speed = speeds[bits(8)]
            copies = 1 if rand() >= dup else (2 if rand() < 0.8 else 3)
            for _ in range(min(copies, n - len(out))):
                key, plate = vehicles[v]
                if rand() < bad and misreads[v] is not None:
                    key, plate = misreads[v]  # type: ignore[misc]
                value = b"".join(
                    (b'{"event_id":"', prefix, b"%012x" % seq, b'"', lane, plate, ts, speed, tail)
                )
                out.append((key, value))
                seq += 1
        return out
