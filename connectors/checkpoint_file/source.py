"""The ``checkpoint-file`` source: lines from the directory tail, mapped to hits; thin glue."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any, ClassVar

from connectors.checkpoint_file.config import CheckpointFileConfig
from connectors.checkpoint_file.mapping import LineError, csv_fields, json_fields, parse_header
from connectors.pass_records import hit_fields, is_unread
from connectors.sdk import Batch, Position, RecordKind, Source, SourceRecord
from connectors.sdk.tail import DirectoryTail, Line, too_long

__all__ = ["CheckpointFileSource"]

_JSONL = (".jsonl", ".ndjson", ".json")
#: the marker of a line whose plate was not read
_UNREAD = SourceRecord(value=None, raw=b"")


class CheckpointFileSource(Source[CheckpointFileConfig]):
    """Follows a directory of pass-record files and resumes with no gap and no re-sent line."""

    name: ClassVar[str] = "checkpoint-file"
    kind: ClassVar[RecordKind] = RecordKind.HITS
    config_model = CheckpointFileConfig
    summary: ClassVar[str] = "tails a directory of checkpoint pass-record files (CSV or JSON lines)"

    def setup(self, position: Position | None) -> None:
        cfg = self.config
        self.tail = DirectoryTail(cfg.directory, cfg.pattern, scan_interval=cfg.scan_interval_s)
        self.tail.restore((position or {}).get("files", {}))
        self._headers: dict[str, tuple[int, list[str]]] = {}

    def poll(self, timeout: float) -> Batch:
        lines = self.tail.read(self.config.max_batch)
        if not lines:
            self.context.stopping.wait(timeout)
            return Batch()
        now = datetime.now(UTC).isoformat()
        records: list[SourceRecord] = []
        dropped = 0
        for line in lines:
            record = self._record(line, now)
            if record is _UNREAD:
                dropped += 1
            elif record is not None:
                records.append(record)
        return Batch(records=records, position={"files": self.tail.state()}, dropped=dropped)

    def stop(self) -> None:
        if hasattr(self, "tail"):
            self.tail.close()

    def _is_csv(self, path: str) -> bool:
        if self.config.format != "auto":
            return self.config.format == "csv"
        return not path.lower().endswith(_JSONL)

    def _record(self, line: Line, received_at: str) -> SourceRecord | None:
        if not line.data.strip():
            return None
        origin = f"{os.path.basename(line.path)}:{line.offset}"
        if line.too_long:
            return SourceRecord(
                value=None, raw=line.data, origin=origin, error=too_long(line, self.tail.chunk)
            )
        cfg = self.config
        try:
            if self._is_csv(line.path):
                start, header = self._header(line)
                if line.offset == start:
                    return None
                fields: dict[str, Any] = csv_fields(header, line.data, cfg.encoding, cfg.delimiter)
            else:
                fields = json_fields(line.data)
        except (LineError, UnicodeDecodeError) as exc:
            return SourceRecord(value=None, raw=line.data, origin=origin, error=str(exc))
        if is_unread(fields):
            return _UNREAD
        try:
            value = hit_fields(
                fields, region=self.context.region, source_id=self.context.source_id, received_at=received_at
            )
        except ValueError as exc:
            return SourceRecord(value=None, raw=line.data, origin=origin, error=str(exc))
        return SourceRecord(value=value, raw=line.data, origin=origin)

    def _header(self, line: Line) -> tuple[int, list[str]]:
        """Where the file's header line starts (its first line that is not blank) and its names.

        Read again for a line at or before it: the file was truncated and written anew.
        """
        known = self._headers.get(line.fid)
        if known is None or line.offset <= known[0]:
            first = self.tail.first_line(line.fid)
            if first is None:
                raise LineError(f"{line.path} has no CSV header line")
            names = parse_header(first.data, self.config.encoding, self.config.delimiter)
            known = self._headers[line.fid] = (first.offset, names)
        return known
