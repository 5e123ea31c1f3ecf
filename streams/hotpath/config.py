"""The hot path's settings: one frozen model, built at the entry point (`rax run hotpath`) only."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from schemas.kafka_settings import KafkaSettings

__all__ = ["HotpathSettings"]


class HotpathSettings(BaseModel):
    """How one hot-path worker runs; every worker of a zone shares the group, each has its own id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kafka: KafkaSettings = Field(default_factory=KafkaSettings, description="How to reach Kafka.")
    namespace: str = Field("rax", description="Topic namespace of the exchange.")
    worker_id: str = Field(
        "0",
        pattern=r"^[A-Za-z0-9_-]{1,32}$",
        description="Stable id of this worker: names its transactional id, so a restarted worker fences "
        "its predecessor's open transaction at once instead of after the transaction timeout.",
    )
    batch_size: int = Field(5000, ge=1, le=100_000, description="Most hits processed in one transaction.")
    batch_timeout_s: float = Field(
        0.02,
        gt=0,
        le=5,
        description="Longest wait for a batch to fill; bounds the latency a batch adds (a transaction "
        "commit costs ~15-35 ms on one node, so shorter waits buy little).",
    )
    dedup_window_s: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="Same plate at one checkpoint within this many seconds of pass time is one pass.",
    )
    transaction_timeout_ms: int = Field(
        10_000,
        ge=1000,
        le=900_000,
        description="How long an open transaction of a dead worker blocks read_committed readers.",
    )
    session_timeout_ms: int = Field(
        10_000,
        ge=3000,
        le=300_000,
        description="How long the group waits for a worker that stopped heartbeating before moving its "
        "partitions to the others (a restarted worker with the same id takes them back at once).",
    )
    silent_checkpoint_s: float = Field(
        900.0,
        gt=0,
        description="A checkpoint with no hit for this long counts as silent (a camera or feed "
        "may be down); exported per region as rax_hotpath_silent_checkpoints.",
    )
    metrics_port: int | None = Field(
        None, ge=0, le=65535, description="Serve /metrics here; None = not served."
    )
    max_match_fanout: int = Field(
        32,
        ge=1,
        description="Most watchlist entries one hit may match before the rest are reported as a DLQ "
        "record (a runaway partial pattern must not flood the partners).",
    )
