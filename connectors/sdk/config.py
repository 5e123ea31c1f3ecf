"""The runtime's settings: where state lives, metrics, and how the producer batches; one frozen model."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.fields import RegionCode

__all__ = ["RuntimeConfig"]


class RuntimeConfig(BaseModel):
    """How one connector process runs; built at the entry point (the CLI) only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: RegionCode = Field(description="GB/T 2260 code of the region this connector publishes as.")
    namespace: str = Field("rax", description="Topic namespace of the exchange (tests use their own).")
    source_id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="Id of this connector instance, written into records' `source`; default <name>@<region>.",
    )
    state_dir: Path | None = Field(
        None,
        description="Directory of the stored resume position (position.json, written atomically); "
        "None keeps no position (one-shot loads, push sources).",
    )
    mac_key_file: Path | None = Field(
        None,
        description="The region's MAC key file (<region>.mac, 0600, from `rax keys mac create`): every "
        "record produced carries rax.mac under the newest key valid now; None: records carry no MAC.",
    )
    sign_key_store: Path | None = Field(
        None,
        description="The region's key store (`rax keys create`; its root or the region's directory): "
        "every produced batch carries the region's Ed25519 signature (rax.sig) under its newest sign "
        "key valid now, and every alert its region signature; None: nothing is signed.",
    )
    sign_batch_max: int = Field(
        256,
        ge=1,
        le=65_536,
        description="Most records one batch signature covers: a record's rax.sig.batch header holds "
        "log2 of this many 32-byte hashes, and a verifier pays one Ed25519 check per this many records.",
    )
    metrics_host: str = Field("127.0.0.1", description="Address the /metrics endpoint listens on.")
    metrics_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Port of the /metrics endpoint; None: no endpoint, 0: any free port.",
    )
    linger_ms: int = Field(20, ge=0, le=5000, description="Producer linger.ms: how long a batch may wait.")
    batch_size: int = Field(
        1_000_000, ge=1024, le=16_000_000, description="Producer batch.size in bytes (per partition)."
    )
    compression: Literal["none", "lz4", "zstd", "snappy", "gzip"] = Field(
        "lz4", description="Producer compression.type."
    )
    queue_max_messages: int = Field(
        500_000, ge=1000, description="Producer queue bound; a full queue is backpressure on the source."
    )
    max_in_flight_records: int = Field(
        400_000,
        ge=100,
        description="Records produced but not yet acknowledged before the source is no longer polled.",
    )
    position_flush_ms: int = Field(
        100, ge=0, le=60_000, description="At most one position write per this many ms (0: every batch)."
    )
    poll_timeout_s: float = Field(0.1, gt=0, le=5, description="How long one source poll may wait when idle.")
    validate_sample: int = Field(
        1000,
        ge=1,
        description="For sources that hand over pre-encoded records: decode one in this many to catch a "
        "generator bug (a bad sample is fatal).",
    )
    retry_backoff_max_s: float = Field(
        30.0, gt=0, description="Upper bound of the back-off between retries of a failed delivery or source."
    )
    message_timeout_ms: int = Field(
        120_000,
        ge=1000,
        description="Producer message.timeout.ms: how long librdkafka retries a record before reporting it "
        "failed (the runtime then produces it again).",
    )
    shutdown_timeout_s: float = Field(
        30.0,
        gt=0,
        description="On stop, how long to wait for Kafka to acknowledge what is in flight; what is not "
        "acknowledged by then is not stored as done, and is sent again (same event ids) on restart.",
    )
    extra_producer_config: dict[str, str] = Field(
        default_factory=dict, description="More librdkafka producer settings (key -> value), applied last."
    )
