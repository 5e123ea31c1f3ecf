"""The settings every HTTP intake shares: address, the region's token, timeouts and the connection cap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from connectors.sdk.tokens import TOKEN_ENV, check_token, read_token_file

__all__ = ["HttpIntakeConfig"]


class HttpIntakeConfig(BaseModel):
    """Base of a push connector's config: who may post, and how long and how many connections it holds.

    The token is a secret, so it is no command-line option (a command line shows in ``ps``): it comes
    from ``token_file`` (read when the config is built), from the environment variable
    ``RAX_HTTP_TOKEN`` (read by the command line, the entry point), or from a ``--config`` file.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    host: str = Field("127.0.0.1", description="Address to listen on (0.0.0.0 for every interface).")
    token: SecretStr | None = Field(
        None,
        description="The region's bearer token (at least 32 bytes, printable ASCII): requests must send "
        f"'Authorization: Bearer <token>'. Not an option: give --token-file or ${TOKEN_ENV}.",
    )
    token_file: Path | None = Field(
        None,
        description="File holding the region's bearer token (one line, mode 0600); "
        f"without it the token is read from the environment variable {TOKEN_ENV}.",
    )
    header_timeout_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description="A connection must send a request's complete headers within this many seconds of "
        "opening (or of its previous answer), else it is closed: slow senders hold no connection.",
    )
    body_timeout_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="A request's body must arrive within this many seconds of its headers (408 else).",
    )
    max_connections: int = Field(
        64,
        ge=1,
        le=10_000,
        description="Most connections open at once; one more is answered 503 and closed within a second.",
    )

    @model_validator(mode="before")
    @classmethod
    def _token_from_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("token_file") and not data.get("token"):
            data = {**data, "token": read_token_file(Path(data["token_file"]))}
        return data

    @field_validator("token")
    @classmethod
    def _usable(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None:
            check_token(token.get_secret_value())
        return token

    def bearer_token(self) -> str:
        """The token requests must carry; only for the server's check."""
        if self.token is None:
            raise ValueError(f"the HTTP endpoint needs a token: --token-file FILE or ${TOKEN_ENV}")
        return self.token.get_secret_value()
