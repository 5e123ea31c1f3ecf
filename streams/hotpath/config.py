"""The hot path's settings: one frozen model, built at the entry point (`rax run hotpath`) only."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from streams.runtime import RuntimeSettings

__all__ = ["HotpathSettings"]


class HotpathSettings(BaseModel):
    """How one hot-path worker runs: the runtime's loop settings plus the pipeline's own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    runtime: RuntimeSettings = Field(
        default_factory=lambda: RuntimeSettings(max_input_bytes=64 * 1024),
        description="The stream loop: Kafka, namespace, worker id, batches, deadlines, web port.",
    )
    dedup_window_s: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="Same plate at one checkpoint within this many seconds of pass time is one pass.",
    )
    silent_checkpoint_s: float = Field(
        900.0,
        gt=0,
        description="A checkpoint with no hit for this long counts as silent (a camera or feed "
        "may be down); exported per region as rax_hotpath_silent_checkpoints.",
    )
    known_window_s: float = Field(
        0.0,
        ge=0,
        le=90 * 86400,
        description="A read whose plate this worker saw at 2 or more distinct checkpoints within this "
        "many seconds (of pass time) is a known vehicle: its misread matches are withheld, since a "
        "misread of a wanted plate rarely is a real, repeatedly seen vehicle (streams.hotpath.seen). "
        "0 (the default) turns the evidence off: every misread match is delivered. Off by default "
        "because it can withhold a true one: a damaged plate misread the same way at every checkpoint "
        "becomes a known vehicle from its third read (docs/decisions.md).",
    )
    known_capacity: int = Field(
        1_000_000,
        ge=1,
        description="Most plates remembered per half window (about 200 bytes each, both halves): a bound "
        "on the known-vehicle memory.",
    )
    matching_keys: Path | None = Field(
        None,
        description="The zone's matching-key file (`rax keys matching create`, mode 0600, never in Kafka): "
        "blind watchlist entries match only under the keys it holds (docs/threat-model.md). Read at "
        "start; a new key needs a restart.",
    )
    max_match_fanout: int = Field(
        32,
        ge=1,
        description="Most watchlist entries one hit may match before the rest are reported as a DLQ "
        "record (a runaway partial pattern must not flood the partners).",
    )
