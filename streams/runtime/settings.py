"""How the stream runtime runs one processor: one frozen settings model, built at the entry point only."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.kafka_settings import KafkaSettings

__all__ = ["MacPolicy", "RuntimeSettings", "SigPolicy"]


class MacPolicy(StrEnum):
    """Whether records of ``<ns>.in.<region>.*`` topics must carry their region's MAC (``rax.mac``)."""

    OFF = "off"  # not checked (headers ignored)
    OPTIONAL = "optional"  # a record that carries a MAC must verify; one without passes (a migration)
    REQUIRED = "required"  # every record must carry a valid MAC; one without is forged


class SigPolicy(StrEnum):
    """Whether records of ``<ns>.in.<region>.*`` topics must carry their region's batch signature."""

    OFF = "off"  # not checked
    OPTIONAL = "optional"  # a record that carries rax.sig must verify; one without passes (a migration)
    REQUIRED = "required"  # every record must carry a valid batch signature; one without is forged


class RuntimeSettings(BaseModel):
    """The loop's knobs; every processor (hot path, control app) runs with one of these."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kafka: KafkaSettings = Field(default_factory=KafkaSettings, description="How to reach Kafka.")
    namespace: str = Field("rax", description="Topic namespace of the exchange.")
    worker_id: str = Field(
        "0",
        pattern=r"^[A-Za-z0-9_-]{1,32}$",
        description="Stable id of this worker: names its transactional id and static group member, so a "
        "restarted worker fences its predecessor and takes its partitions back at once.",
    )
    batch_size: int = Field(5000, ge=1, le=100_000, description="Most records processed in one transaction.")
    batch_timeout_s: float = Field(
        0.02, gt=0, le=5, description="Longest wait for a batch to fill (bounds the latency a batch adds)."
    )
    overlap_commit: bool = Field(
        True,
        description="Process the next batch while the last one's transaction commits (one commit in flight "
        "at most): read-to-delivery is then bounded by processing, not processing plus a commit.",
    )
    max_input_bytes: int = Field(
        256 * 1024,
        ge=1024,
        description="An input value larger than this is dead-lettered (too_large) without being decoded.",
    )
    dlq_value_bytes: int = Field(
        64 * 1024,
        ge=0,
        le=512 * 1024,
        description="A dead letter keeps at most this many bytes of the original value (its size and "
        "SHA-256 go in headers), so a dead letter can always be produced.",
    )
    transaction_timeout_ms: int = Field(
        10_000,
        ge=1000,
        le=900_000,
        description="How long an open transaction of a dead worker blocks readers.",
    )
    call_timeout_s: float = Field(
        10.0,
        gt=0,
        le=120,
        description="Deadline of every blocking Kafka call (commit, send offsets, abort, committed offsets); "
        "past it the outcome is unknown: the transaction is aborted and the producer replaced.",
    )
    session_timeout_ms: int = Field(
        10_000, ge=3000, le=300_000, description="How long the group waits for a silent worker."
    )
    tick_s: float = Field(1.0, gt=0, le=60, description="How often timers (deadlines, expiries) are checked.")
    defer_to: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9_-]{0,31}$",
        description="Another processor (its name, e.g. hotpath) this one yields to on shared cores: its "
        "partitions are paused while that processor's group is more than defer_lag records behind "
        "(streams/runtime/deferral.py).",
    )
    defer_lag: int = Field(20_000, ge=0, description="The lag of defer_to's group above which this waits.")
    defer_max_s: float = Field(
        300.0,
        gt=0,
        le=3600,
        description="Longest one deferral lasts, whatever the lag (a stopped processor "
        "must not stop this one for good).",
    )
    stall_s: float = Field(
        60.0, gt=0, description="/health answers 503 when the loop has not turned for this long."
    )
    changelog_partitions: int = Field(6, ge=1, le=256, description="Partitions of new changelog topics.")
    replication: int | None = Field(
        None, ge=1, le=16, description="Replication of topics the runtime creates; default: min(3, brokers)."
    )
    mac: MacPolicy = Field(
        MacPolicy.OFF,
        description="Record authentication of input topics: off, optional (verify the records that carry a "
        "MAC) or required (a record without a valid MAC of its topic's region is dead-lettered as forged).",
    )
    mac_keys: Path | None = Field(
        None,
        description="The processors' MAC key store: a 0700 directory of <region>.mac files (0600), re-read "
        "when they change; needed unless mac is off.",
    )
    rest_key: Path | None = Field(
        None,
        description="The processors' at-rest key file (`rax keys rest create`, 0600): with it, changelogs, "
        "internal inboxes, rax.matches and rax.watchlist are sealed on the broker "
        "(streams/runtime/at_rest.py); every "
        "processor of the exchange needs the same file.",
    )
    sig: SigPolicy = Field(
        SigPolicy.OFF,
        description="Batch signatures of input topics: off, optional (verify the records that carry one) "
        "or required (a record without a valid Ed25519 batch signature of its topic's region, under a "
        "sign key of the zone valid when it was signed, is dead-lettered as forged).",
    )
    sign_keys: Path | None = Field(
        None,
        description="The zone's published keys: the zone file (its keys:) or `rax keys export` output "
        "(YAML or JSON), re-read when it changes; the word `zone`: those of the zone on rax.zone "
        "(sign_keys_from_zone); needed unless sig is off.",
    )
    sign_keys_from_zone: bool = Field(
        False,
        description="Read the zone's sign keys from the zone published on rax.zone instead of a file (a "
        "rotation applied to the zone reaches the processors by itself).",
    )
    web_host: str = Field("127.0.0.1", description="Address of /metrics, /health, /ready.")
    web_port: int | None = Field(
        None, ge=0, le=65535, description="Port of /metrics, /health, /ready; 0 = any free port; None = off."
    )

    @model_validator(mode="before")
    @classmethod
    def _keys_from_zone(cls, data: object) -> object:
        """``sign_keys: zone`` (``--sign-keys zone``) stands for the zone's keys on rax.zone."""
        if isinstance(data, dict) and str(data.get("sign_keys")) == "zone":
            return {**data, "sign_keys": None, "sign_keys_from_zone": True}
        return data

    @model_validator(mode="after")
    def _mac_keys_given(self) -> RuntimeSettings:
        if self.mac is not MacPolicy.OFF and self.mac_keys is None:
            raise ValueError(f"mac={self.mac.value} needs mac_keys (the processors' MAC key store)")
        if self.sig is not SigPolicy.OFF and self.sign_keys is None and not self.sign_keys_from_zone:
            raise ValueError(
                f"sig={self.sig.value} needs sign_keys (the zone's published keys) or sign_keys_from_zone"
            )
        return self
