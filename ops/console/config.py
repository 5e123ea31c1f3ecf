"""The console's settings: one frozen model, built by `rax centre console` and nowhere else."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from schemas.kafka_settings import KafkaSettings
from schemas.zone import DEFAULT_REJECT_REASONS
from streams.control.config import DeadlinePolicy

__all__ = ["ConsoleSettings"]


class ConsoleSettings(BaseModel):
    """How one region's console runs: whose identity, where it listens, its files and its limits."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    kafka: KafkaSettings = Field(description="The region's own Kafka identity: its ACLs decide what it sees.")
    namespace: str = Field(default="rax", description="Topic namespace of the exchange.")
    region: str = Field(description="The centre's region (GB/T 2260 code).")
    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=8443, ge=0, le=65535, description="Port to listen on; 0 picks a free one.")
    officers: Path = Field(description="The officers file (`rax centre officers add`).")
    journal: Path = Field(description="The console's own record of its officers' actions (JSON lines).")
    tls_cert: Path | None = Field(default=None, description="PEM certificate (chain) for HTTPS.")
    tls_key: Path | None = Field(default=None, description="PEM private key; absent: inside tls_cert.")
    mac_key: Path | None = Field(
        default=None, description="The region's MAC key file: records carry rax.mac."
    )
    keys: Path | None = Field(
        default=None, description="The region's key store (`rax keys create`): sealed deliveries are opened."
    )
    sign: bool = Field(
        default=False,
        description="Sign what the console publishes with the newest sign key of `keys`: records carry "
        "rax.sig, alerts the region's signature.",
    )
    sender: str = Field(default="", description="CAP sender of the alerts sent; default zhihui@<region>.rax.")
    reject_reasons: tuple[str, ...] = Field(
        default=DEFAULT_REJECT_REASONS, min_length=1, description="Reasons offered to reject a delivery."
    )
    deadlines: DeadlinePolicy = Field(
        default_factory=DeadlinePolicy, description="Acknowledgement deadlines (the control app's policy)."
    )
    session_idle_s: float = Field(
        default=900, gt=0, description="Sign out after this long without a request."
    )
    session_max_s: float = Field(default=12 * 3600, gt=0, description="Sign out this long after signing in.")
    login_failures: int = Field(default=5, ge=1, description="Failed sign-ins allowed per window.")
    login_window_s: float = Field(default=300, gt=0, description="The window of login_failures, seconds.")
    scorecards_url: str | None = Field(
        default=None,
        description="The evaluation app's web address (its /scorecards view): the scorecard page's source.",
    )
    audit_kafka: KafkaSettings | None = Field(
        default=None,
        description="An identity that may read and write rax.audit, for traces (a region's may not).",
    )
    audit_index: Path | None = Field(
        default=None, description="The trace index of `rax audit index`, if any."
    )
    trace_timeout_s: float = Field(default=120, gt=0, description="Seconds a trace may take.")
    live_items: int = Field(default=200, ge=10, description="Items the live list keeps in the page.")
    page_size: int = Field(default=50, ge=10, le=500, description="Items per history page.")

    @property
    def https(self) -> bool:
        return self.tls_cert is not None

    @property
    def cap_sender(self) -> str:
        return self.sender or f"zhihui@{self.region}.rax"
