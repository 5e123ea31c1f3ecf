"""``EvaluateSettings``: the evaluation app's one frozen settings model, built at the entry point."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from schemas.kafka_settings import KafkaSettings

__all__ = ["EvaluateSettings"]


class EvaluateSettings(BaseModel):
    """How one evaluator runs: where Kafka is, what it counts from, how often it publishes and serves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kafka: KafkaSettings = Field(description="Connection to the brokers.")
    namespace: str = Field("rax", description="Topic namespace of the exchange.")
    since: datetime = Field(
        description="Events before this time are not counted (a fixed start makes a replay comparable)."
    )
    run_id: str = Field(
        description="Names this run's consumer group (rax.proc.evaluate.<run id>): every run reads from the "
        "start of the topics, since the scorecards are recomputed, never restored."
    )
    tick_s: float = Field(5.0, gt=0, description="Seconds between publishing passes (touched scorecards).")
    batch: int = Field(
        2000, ge=1, description="Records the app counts at once (faust's take: one ledger call per batch)."
    )
    batch_within_s: float = Field(
        0.2, gt=0, description="Seconds a batch waits to fill before it is counted as it is."
    )
    full_every_s: float = Field(60.0, gt=0, description="Seconds between passes over every scorecard.")
    web_host: str = Field("127.0.0.1", description="Address of the JSON views and /metrics.")
    web_port: int = Field(6066, ge=1, le=65535, description="Port of the JSON views and /metrics.")
    data_dir: Path = Field(description="faust's data directory (nothing in it is needed across runs).")
    rest_key: Path | None = Field(
        None,
        description="The processors' at-rest key file: needed to read rax.matches when the hot path seals "
        "it (streams/runtime/at_rest.py); without it sealed matches are refused as unopenable.",
    )
