"""The configuration of the ``checkpoint-file`` connector."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CheckpointFileConfig"]


class CheckpointFileConfig(BaseModel):
    """Where the pass-record files are and how to read them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    directory: Path = Field(description="Directory the checkpoint platform writes its pass-record files to.")
    pattern: str = Field(
        "*.csv",
        description="Shell pattern of the file names to follow (e.g. '*.csv', 'kk_*.jsonl'); a followed "
        "file is read to its end even after it is renamed to a name outside the pattern.",
    )
    format: Literal["auto", "csv", "jsonl"] = Field(
        "auto",
        description="csv (first line is the header), jsonl (one JSON object a line), or auto: by the file "
        "extension (.csv -> csv; .jsonl/.ndjson/.json -> jsonl).",
    )
    encoding: str = Field("utf-8", description="Text encoding of the files (utf-8, gbk, gb18030 …).")
    delimiter: str = Field(",", min_length=1, max_length=1, description="CSV field delimiter.")
    scan_interval_s: float = Field(
        1.0, gt=0, le=60, description="How often the directory is listed for new or rotated files."
    )
    max_batch: int = Field(5000, ge=1, le=100_000, description="Most lines handed to the runtime per poll.")
