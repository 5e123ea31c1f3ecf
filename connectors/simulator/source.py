"""The ``simulator`` source: paces blocks of generated hits to the configured rate; thin glue."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from connectors.sdk import Batch, FatalError, Position, RecordKind, Source
from connectors.simulator.config import SimulatorConfig
from connectors.simulator.logic import HitGenerator
from connectors.simulator.plates import fleet
from connectors.simulator.zone import Checkpoint, border_checkpoints, listed_checkpoints, sides
from schemas.regions import registry

__all__ = ["SimulatorSource", "rate_factor"]

_RUSH_HOURS = frozenset({7, 8, 17, 18})
_NIGHT_HOURS = frozenset(range(6))
_VEHICLES = 30_000


def rate_factor(at: datetime, rush: float, night: float) -> float:
    """The rate multiplier at ``at``: rush hours and night, by the hour in China (UTC+8)."""
    hour = (at.astimezone(UTC) + timedelta(hours=8)).hour
    return rush if hour in _RUSH_HOURS else night if hour in _NIGHT_HOURS else 1.0


class SimulatorSource(Source[SimulatorConfig]):
    """Hits from the zone's border checkpoints on the connector region's side."""

    name: ClassVar[str] = "simulator"
    kind: ClassVar[RecordKind] = RecordKind.HITS
    config_model = SimulatorConfig
    summary: ClassVar[str] = "simulates a zone's border checkpoints (川渝: 175 a side) at a set rate"

    def setup(self, position: Position | None) -> None:
        cfg, region = self.config, self.context.region
        checkpoints = (
            listed_checkpoints(cfg.checkpoints, region, cfg.seed)
            if cfg.checkpoints
            else self._border_checkpoints(region)
        )
        self.generator = HitGenerator(
            seed=cfg.seed,
            region=region,
            source_id=self.context.source_id,
            checkpoints=checkpoints,
            vehicles=fleet(region, _VEHICLES, cfg.seed),
            duplicate_rate=cfg.duplicate_rate,
            misread_rate=cfg.misread_rate,
            block=cfg.block,
        )
        self.next_block = int((position or {}).get("block", 0))
        self.credit, self.last = 0.0, time.monotonic()

    def _border_checkpoints(self, region: str) -> list[Checkpoint]:
        cfg, reg = self.config, registry()
        province = reg.province_of(region)
        if province not in sides(cfg.zone):
            raise FatalError(
                f"region {region} is not on the border of zone {cfg.zone}",
                f"use one of {', '.join(sides(cfg.zone))} or one of their border counties, "
                "or name the region's checkpoints (--checkpoints)",
            )
        checkpoints = [
            cp for cp in border_checkpoints(cfg.zone, province, cfg.seed) if reg.is_within(cp.county, region)
        ]
        if not checkpoints:
            raise FatalError(
                f"region {region} has no border checkpoints in zone {cfg.zone}", "pick a border county"
            )
        return checkpoints

    def poll(self, timeout: float) -> Batch:
        cfg = self.config
        start = self.next_block * cfg.block
        if cfg.max_records and start >= cfg.max_records:
            return Batch(end=True)
        count = min(cfg.block, cfg.max_records - start) if cfg.max_records else cfg.block
        now = datetime.now(UTC)
        if cfg.rate > 0:
            rate = cfg.rate * rate_factor(now, cfg.rush_factor, cfg.night_factor)
            tick = time.monotonic()
            self.credit = min(
                self.credit + (tick - self.last) * rate, max(rate, count)
            )  # at most 1 s of burst
            self.last = tick
            if self.credit < count:
                self.context.stopping.wait(min(timeout, (count - self.credit) / rate))
                return Batch()
            self.credit -= count
        encoded = self.generator.generate(self.next_block, now, count)
        self.next_block += 1
        return Batch(encoded=encoded, position={"block": self.next_block})
