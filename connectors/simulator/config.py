"""The configuration of the ``simulator`` connector."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SimulatorConfig"]


class SimulatorConfig(BaseModel):
    """How many hits, from which checkpoints, with which imperfections."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    zone: Literal["chuanyu"] = Field(
        "chuanyu", description="Zone whose border checkpoints are simulated (川渝: 175 on each side)."
    )
    checkpoints: tuple[str, ...] = Field(
        (),
        description="Ids (kkbh) of the region's checkpoints, e.g. its zone file's; given, they are read "
        "instead of the zone's generated border checkpoints, and the region need not be in the zone.",
    )
    rate: float = Field(
        1000.0,
        ge=0,
        description="Mean hits per second outside rush hours; 0 = as fast as the producer takes them.",
    )
    seed: int = Field(1, description="Seed: the same seed gives the same plates, checkpoints and event ids.")
    duplicate_rate: float = Field(
        0.2, ge=0, le=1, description="Share of passes reported by a second (and third) camera as well."
    )
    misread_rate: float = Field(
        0.03, ge=0, le=1, description="Share of reads with one character misread into a look-alike."
    )
    rush_factor: float = Field(
        2.5, ge=1, le=20, description="Rate multiplier at rush hours (07-09 and 17-19 China time)."
    )
    night_factor: float = Field(0.3, gt=0, le=1, description="Rate multiplier from 00 to 05 China time.")
    max_records: int = Field(
        0, ge=0, description="Stop after this many hits in total (across restarts); 0 = never stop."
    )
    block: int = Field(
        4096, ge=16, le=65536, description="Hits generated per batch (the unit of the resume position)."
    )
