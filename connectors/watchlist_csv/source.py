"""The ``watchlist-csv`` source: lines of one CSV file as watchlist commands; thin glue."""

from __future__ import annotations

import csv
from typing import ClassVar

from connectors.sdk import Batch, Position, RecordKind, Source, SourceRecord
from connectors.sdk.tail import DirectoryTail, Line
from connectors.watchlist_csv.config import WatchlistCsvConfig
from connectors.watchlist_csv.mapping import command_fields

__all__ = ["WatchlistCsvSource"]


class WatchlistCsvSource(Source[WatchlistCsvConfig]):
    """Follows one CSV file of place / withdraw commands (or reads it once, with follow=false)."""

    name: ClassVar[str] = "watchlist-csv"
    kind: ClassVar[RecordKind] = RecordKind.WATCHLIST
    config_model = WatchlistCsvConfig
    summary: ClassVar[str] = "places and withdraws watchlist entries from a CSV file"

    def setup(self, position: Position | None) -> None:
        path = self.config.path
        self.tail = DirectoryTail(path.parent, path.name, scan_interval=1.0)
        self.tail.restore((position or {}).get("files", {}))
        self.header: list[str] | None = None

    def poll(self, timeout: float) -> Batch:
        lines = self.tail.read(1000)
        if not lines:
            if not self.config.follow:
                return Batch(end=True)
            self.context.stopping.wait(timeout)
            return Batch()
        records = [r for r in (self._record(line) for line in lines) if r is not None]
        return Batch(records=records, position={"files": self.tail.state()})

    def stop(self) -> None:
        if hasattr(self, "tail"):
            self.tail.close()

    def _row(self, data: bytes) -> list[str]:
        text = data.decode(self.config.encoding).lstrip("\ufeff")
        return next(csv.reader([text], delimiter=self.config.delimiter, strict=True))

    def _record(self, line: Line) -> SourceRecord | None:
        if not line.data.strip():
            return None
        origin = f"{line.path}:{line.offset}"
        try:
            if line.offset == 0:
                self.header = [c.strip().lower() for c in self._row(line.data)]
                return None
            if self.header is None:
                first = self.tail.first_line(line.fid)
                self.header = [c.strip().lower() for c in self._row(first or b"")]
            row = self._row(line.data)
            if len(row) != len(self.header):
                raise ValueError(f"line has {len(row)} fields, the header has {len(self.header)}")
            text = line.data.decode(self.config.encoding)
            value = command_fields(dict(zip(self.header, row, strict=True)), self.context.region, text)
        except (ValueError, csv.Error, StopIteration) as exc:
            return SourceRecord(value=None, raw=line.data, origin=origin, error=str(exc))
        return SourceRecord(value=value, raw=line.data, origin=origin)
