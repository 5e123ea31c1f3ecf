"""The configuration of the ``watchlist-csv`` connector."""

from __future__ import annotations

import codecs
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["WatchlistCsvConfig"]


class WatchlistCsvConfig(BaseModel):
    """Which CSV file holds the watchlist commands, and whether to keep following it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path = Field(
        description="CSV file (RFC 4180: a quoted field may hold line breaks and doubled quotes), one "
        "command a record after a header: op (place/withdraw), reference, plate, "
        "plate_issuer (hong_kong for a Hong Kong personalised mark), "
        "plate_colour, category, action, priority, tolerance, legal_basis, description, scope, placed_at, "
        "expires_at, review_at, operator, approval_unit, approval_approver, approval_at, "
        "approval_reference, reason, issued_at. Times without offset are China time."
    )
    follow: bool = Field(
        True, description="Keep following the file for appended lines; false: stop at its end (a load)."
    )
    encoding: str = Field(
        "utf-8",
        description="Text encoding of the file: utf-8 (a leading BOM is skipped), gbk, gb18030, big5 … "
        "any encoding that keeps ASCII as single bytes (not utf-16/utf-32).",
    )
    delimiter: str = Field(
        ",", min_length=1, max_length=1, description="CSV field delimiter, one ASCII character (, ; | tab)."
    )
    blind_keys: Path | None = Field(
        None,
        description="The zone's matching-key file (`rax keys matching create`, 0600): place every entry "
        "blind, as tokens under its newest key, with its plate and description sealed to each partner "
        "the zone's agreements entitle (docs/threat-model.md). A partial plate cannot be blind: refused.",
    )
    zone_file: Path | None = Field(
        None, description="The zone file (agreements, members' public keys): required with blind_keys."
    )

    @model_validator(mode="after")
    def _blind_needs_zone(self) -> WatchlistCsvConfig:
        if self.blind_keys is not None and self.zone_file is None:
            raise ValueError("blind_keys needs zone_file: the partners' keys and agreements are in it")
        return self

    @field_validator("encoding")
    @classmethod
    def _ascii_compatible(cls, encoding: str) -> str:
        try:
            info = codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}") from None
        if b'a,"\n'.decode(info.name, errors="replace") != 'a,"\n':
            raise ValueError(f"{encoding} does not keep ASCII as single bytes: save the file as UTF-8")
        return encoding

    @field_validator("delimiter")
    @classmethod
    def _ascii_delimiter(cls, delimiter: str) -> str:
        if not delimiter.isascii() or delimiter in '"\r\n':
            raise ValueError("the delimiter must be one ASCII character other than a quote or line break")
        return delimiter
