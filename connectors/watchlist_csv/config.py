"""The configuration of the ``watchlist-csv`` connector."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["WatchlistCsvConfig"]


class WatchlistCsvConfig(BaseModel):
    """Which CSV file holds the watchlist commands, and whether to keep following it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path = Field(
        description="CSV file, one command a line after a header: op (place/withdraw), reference, plate, "
        "plate_colour, category, action, priority, tolerance, legal_basis, description, scope, placed_at, "
        "expires_at, review_at, operator, approval_unit, approval_approver, approval_at, "
        "approval_reference, reason, issued_at. Times without offset are China time."
    )
    follow: bool = Field(
        True, description="Keep following the file for appended lines; false: stop at its end (a load)."
    )
    encoding: str = Field("utf-8", description="Text encoding of the file (utf-8, gbk …).")
    delimiter: str = Field(",", min_length=1, max_length=1, description="CSV field delimiter.")
