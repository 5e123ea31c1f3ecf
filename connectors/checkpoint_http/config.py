"""The configuration of the ``checkpoint-http`` connector."""

from __future__ import annotations

from pydantic import Field, model_validator

from connectors.sdk.http_config import HttpIntakeConfig
from connectors.sdk.tokens import TOKEN_ENV

__all__ = ["CheckpointHttpConfig"]


class CheckpointHttpConfig(HttpIntakeConfig):
    """Where the endpoint listens, whom it accepts, and how much one request may carry."""

    port: int = Field(8480, ge=0, le=65535, description="Port to listen on (0: any free port, logged).")
    path: str = Field("/hits", pattern=r"^/[A-Za-z0-9/_-]*$", description="URL path that takes POSTs.")
    max_body_bytes: int = Field(
        4 << 20,
        ge=1024,
        le=64 << 20,
        description="Largest request body accepted; a bigger one is dead-lettered (its first bytes, size "
        "and SHA-256) and answered 413.",
    )
    max_records: int = Field(5000, ge=1, description="Most records in one request (413 above).")
    ack_timeout_s: float = Field(
        60.0, gt=0, description="How long a request waits for Kafka before it is answered 503."
    )

    @model_validator(mode="after")
    def _has_token(self) -> CheckpointHttpConfig:
        if self.token is None:
            raise ValueError(f"checkpoint-http needs the region's token: --token-file FILE or ${TOKEN_ENV}")
        return self
