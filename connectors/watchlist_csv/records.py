"""RFC 4180 records from a file's lines: a quoted field may hold line breaks and doubled quotes; pure.

The tail hands over physical lines; a record is complete when it does not end inside a quoted field
(a field that *starts* with ``"``; ``""`` inside it is a quote). A record still open after
``max_lines`` lines is refused as its first line alone, and the lines after it are read again, so one
stray quote costs one line, not the rest of the file. The bytes are scanned, not the text: the quote,
the delimiter and the line feed are single bytes that never occur inside a character of UTF-8, GBK,
GB 18030 or Big5, so this holds for every ASCII-compatible encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.sdk.tail import Line, too_long

__all__ = ["CsvRecord", "RecordJoiner", "still_quoted"]

_QUOTE = ord('"')


def still_quoted(data: bytes, delimiter: int, quoted: bool = False) -> bool:
    """True if ``data`` ends inside a quoted field; ``quoted``: it starts inside one (a continued line)."""
    at_start = not quoted
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        if quoted:
            if byte == _QUOTE:
                if i + 1 < n and data[i + 1] == _QUOTE:
                    i += 2
                    continue
                quoted = False
        elif byte == _QUOTE and at_start:
            quoted = True
        else:
            at_start = byte == delimiter
        i += 1
    return quoted


@dataclass(frozen=True, slots=True)
class CsvRecord:
    """One record: its bytes (lines joined by ``\\n``), where it starts, its line numbers when known.

    ``error`` is set for a record that was never closed (its first line only).
    """

    data: bytes
    fid: str
    path: str
    offset: int
    first_line: int | None
    last_line: int | None
    error: str | None = None

    @property
    def origin(self) -> str:
        """``path:offset`` and the line number(s), for dead letters and the load summary."""
        if self.first_line is None:
            return f"{self.path}:{self.offset}"
        if self.first_line == self.last_line:
            return f"{self.path}:{self.offset} (line {self.first_line})"
        return f"{self.path}:{self.offset} (lines {self.first_line}-{self.last_line})"


@dataclass
class _Open:
    lines: list[tuple[Line, int | None]] = field(default_factory=list)


class RecordJoiner:
    """Joins each file's lines into records.

    Lifecycle: ``feed`` every line of a file in order (blank lines included); ``pending`` tells where
    each file's unfinished record starts (a stored position must not pass it); ``flush`` at the end of
    a one-shot read refuses what is still open.
    """

    def __init__(self, delimiter: int, max_lines: int = 100, chunk: int = 1 << 20) -> None:
        self.delimiter = delimiter
        self.chunk = chunk  # the tail's: the longest line it hands over whole
        self.max_lines = max_lines
        self._open: dict[str, _Open] = {}
        self._numbers: dict[str, int] = {}

    def _number(self, line: Line) -> int | None:
        if line.offset == 0:
            number = 1
        elif line.fid in self._numbers:
            number = self._numbers[line.fid] + 1
        else:
            return None  # resumed mid-file: line numbers are not known
        self._numbers[line.fid] = number
        return number

    def feed(self, line: Line) -> list[CsvRecord]:
        """The records ``line`` completes (none while a quoted field stays open)."""
        return self._add(line, self._number(line))

    def _add(self, line: Line, number: int | None) -> list[CsvRecord]:
        if line.too_long:  # refused alone; a record it would have continued is refused before it
            out = (
                self._refuse(line.fid, "a quoted field runs into a line too long")
                if line.fid in self._open
                else []
            )
            why = too_long(line, self.chunk)
            return [*out, CsvRecord(line.data, line.fid, line.path, line.offset, number, number, error=why)]
        current = self._open.get(line.fid)
        if current is None:
            if not line.data.strip():
                return []  # a blank line between records
            if not still_quoted(line.data, self.delimiter):
                return [CsvRecord(line.data, line.fid, line.path, line.offset, number, number)]
            self._open[line.fid] = _Open([(line, number)])
            return []
        current.lines.append((line, number))
        data = b"\n".join(ln.data for ln, _ in current.lines)
        if not still_quoted(data, self.delimiter):
            del self._open[line.fid]
            first, first_no = current.lines[0]
            return [CsvRecord(data, first.fid, first.path, first.offset, first_no, number)]
        if len(current.lines) < self.max_lines:
            return []
        return self._refuse(line.fid, f"a quoted field is not closed within {self.max_lines} lines")

    def _refuse(self, fid: str, why: str) -> list[CsvRecord]:
        """Refuse the open record's first line; read the lines after it again."""
        current = self._open.pop(fid)
        (first, no), rest = current.lines[0], current.lines[1:]
        out = [CsvRecord(first.data, first.fid, first.path, first.offset, no, no, error=why)]
        for line, number in rest:
            out += self._add(line, number)
        return out

    def pending(self) -> dict[str, int]:
        """File id -> offset where its unfinished record starts."""
        return {fid: o.lines[0][0].offset for fid, o in self._open.items()}

    def flush(self) -> list[CsvRecord]:
        """At the end of a one-shot read: every record still open is refused, line by line as needed."""
        out: list[CsvRecord] = []
        while self._open:
            fid = next(iter(self._open))
            out += self._refuse(fid, "a quoted field is not closed at the end of the file")
        return out
