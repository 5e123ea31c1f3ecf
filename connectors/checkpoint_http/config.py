"""The configuration of the ``checkpoint-http`` connector."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["CheckpointHttpConfig"]


class CheckpointHttpConfig(BaseModel):
    """Where the endpoint listens and whom it accepts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field("127.0.0.1", description="Address to listen on (0.0.0.0 for every interface).")
    port: int = Field(8480, ge=0, le=65535, description="Port to listen on (0: any free port, logged).")
    token: SecretStr = Field(
        description="The region's bearer token: requests must send 'Authorization: Bearer <token>'."
    )
    path: str = Field("/hits", pattern=r"^/[A-Za-z0-9/_-]*$", description="URL path that takes POSTs.")
    max_body_bytes: int = Field(4 << 20, ge=1024, description="Largest request body accepted (413 above).")
    max_records: int = Field(5000, ge=1, description="Most records in one request (413 above).")
    ack_timeout_s: float = Field(
        60.0, gt=0, description="How long a request waits for Kafka before it is answered 503."
    )
