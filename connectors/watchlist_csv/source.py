"""The ``watchlist-csv`` source: records of one CSV file (RFC 4180) as watchlist commands; thin glue."""

from __future__ import annotations

import csv
from typing import Any, ClassVar

from connectors.sdk import Batch, Position, RecordKind, Source, SourceRecord
from connectors.sdk.csv_header import header_names
from connectors.sdk.tail import DirectoryTail
from connectors.watchlist_csv.blind import Blinder
from connectors.watchlist_csv.config import WatchlistCsvConfig
from connectors.watchlist_csv.mapping import command_fields
from connectors.watchlist_csv.records import CsvRecord, RecordJoiner

__all__ = ["WatchlistCsvSource"]


class WatchlistCsvSource(Source[WatchlistCsvConfig]):
    """Follows one CSV file of place / withdraw commands (or reads it once, with follow=false).

    The position is the tail's, except that a record still open (a quoted field whose closing quote is
    not written yet) is read again from its first line after a restart.
    """

    name: ClassVar[str] = "watchlist-csv"
    kind: ClassVar[RecordKind] = RecordKind.WATCHLIST
    config_model = WatchlistCsvConfig
    summary: ClassVar[str] = "places and withdraws watchlist entries from a CSV file"

    def setup(self, position: Position | None) -> None:
        path = self.config.path
        self.tail = DirectoryTail(path.parent, path.name, scan_interval=1.0)
        self.tail.restore((position or {}).get("files", {}))
        self.joiner = RecordJoiner(ord(self.config.delimiter), chunk=self.tail.chunk)
        self.headers: dict[str, tuple[int, list[str]]] = {}
        self.blinder = Blinder.load(self.config.blind_keys, self.config.zone_file)

    def poll(self, timeout: float) -> Batch:
        lines = self.tail.read(1000)
        found = [rec for line in lines for rec in self.joiner.feed(line)]
        if not lines and not self.config.follow:
            rest = self.tail.remainder()  # a last line without a newline
            found = [rec for line in rest for rec in self.joiner.feed(line)] + self.joiner.flush()
            if not rest and not found:
                return Batch(end=True)
        if not lines and not found:
            self.context.stopping.wait(timeout)
            return Batch()
        records = [r for r in (self._record(rec) for rec in found) if r is not None]
        return Batch(records=records, position={"files": self._state()})

    def stop(self) -> None:
        if hasattr(self, "tail"):
            self.tail.close()

    def _state(self) -> dict[str, Any]:
        state = self.tail.state()
        for fid, offset in self.joiner.pending().items():
            if fid in state:
                state[fid] = {**state[fid], "offset": offset}
        return state

    def _row(self, data: bytes) -> list[str]:
        text = data.decode(self.config.encoding).lstrip("\ufeff")
        rows = list(csv.reader([text], delimiter=self.config.delimiter, strict=True))
        if len(rows) != 1:
            raise ValueError(f"expected one CSV record, found {len(rows)}")
        return rows[0]

    def _header(self, rec: CsvRecord) -> tuple[int, list[str]]:
        """Where the file's header starts (its first record, after any blank lines) and its names.

        Read again for a record at or before it: the file was truncated and written anew.
        """
        known = self.headers.get(rec.fid)
        if known is None or rec.offset <= known[0]:
            first = self.tail.first_line(rec.fid)  # None: ``rec`` is the file's one line, with no newline
            start = rec.offset if first is None else first.offset
            data = first.data if first is not None and first.offset != rec.offset else rec.data
            known = self.headers[rec.fid] = (start, header_names(self._row(data)))
        return known

    def _record(self, rec: CsvRecord) -> SourceRecord | None:
        if rec.error is not None:
            return SourceRecord(value=None, raw=rec.data, origin=rec.origin, error=rec.error)
        try:
            start, header = self._header(rec)
            if rec.offset == start:
                return None
            row = self._row(rec.data)
            if len(row) != len(header):
                raise ValueError(f"line has {len(row)} fields, the header has {len(header)}")
            text = rec.data.decode(self.config.encoding)
            value = command_fields(dict(zip(header, row, strict=True)), self.context.region, text)
            if self.blinder is not None:
                value = self.blinder.command(value)
        except (ValueError, csv.Error) as exc:
            return SourceRecord(value=None, raw=rec.data, origin=rec.origin, error=str(exc))
        return SourceRecord(value=value, raw=rec.data, origin=rec.origin)
