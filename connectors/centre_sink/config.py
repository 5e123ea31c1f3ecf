"""Settings of the centre sink: where deliveries go, how long to wait, how hard to retry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr

__all__ = ["CentreSinkConfig"]


class CentreSinkConfig(BaseModel):
    """One sink per region and endpoint; every field documents itself in `rax centre sink --help`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: HttpUrl = Field(description="The centre's endpoint; each delivery is POSTed there as JSON.")
    token: SecretStr | None = Field(None, description="Sent as `Authorization: Bearer <token>` when set.")
    timeout_s: float = Field(10.0, gt=0, le=300, description="How long to wait for one answer.")
    retry_initial_s: float = Field(0.5, gt=0, description="First back-off after a failed POST.")
    retry_max_s: float = Field(30.0, gt=0, description="Longest back-off; retries never give up on 5xx/429.")
    batch: int = Field(
        100, ge=1, le=10_000, description="Deliveries read per poll; offsets commit after each."
    )
