"""The configuration of the ``cap`` connector."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from connectors.sdk.http_config import HttpIntakeConfig
from connectors.sdk.tokens import TOKEN_ENV
from schemas.vocab import Category

__all__ = ["CapConfig"]


class CapConfig(HttpIntakeConfig):
    """Where CAP 1.2 messages come from (a drop directory, HTTP POSTs, or both) and how they are read."""

    directory: Path | None = Field(
        None,
        description="Drop directory of CAP XML files, one message (or one EDXL-DE distribution) a file; "
        "write each under a temporary name (starting with '.', or ending in .tmp or .part) and rename it "
        "into place. Each file is published once; a file that matches no pattern is dead-lettered.",
    )
    patterns: tuple[str, ...] = Field(
        ("*.xml", "*.cap"),
        min_length=1,
        description="Shell patterns of the message file names in the directory, matched ignoring case.",
    )
    port: int | None = Field(
        None, ge=0, le=65535, description="Also accept CAP XML by HTTP POST on this port (0: any free port)."
    )
    path: str = Field("/cap", pattern=r"^/[A-Za-z0-9/_-]*$", description="URL path that takes the POSTs.")
    max_bytes: int = Field(
        1 << 20,
        ge=1024,
        le=4 << 20,
        description="Largest CAP message accepted, in bytes. A bigger one is dead-lettered (its first bytes, "
        "its size and SHA-256); over HTTP it is also answered 413. The alert must also fit the producer's "
        "message.max.bytes (1,000,000 by default; raise it with --set) as JSON.",
    )
    default_category: Category = Field(
        Category.OTHER,
        description="RAX category of a message that carries no 'RAX:category=…' code.",
    )

    @model_validator(mode="after")
    def _some_input(self) -> CapConfig:
        if self.directory is None and self.port is None:
            raise ValueError("set a directory, a port, or both")
        if self.port is not None and self.token is None:
            raise ValueError(f"the HTTP endpoint needs the region's token: --token-file FILE or ${TOKEN_ENV}")
        return self
