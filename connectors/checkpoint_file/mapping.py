"""Pure parsing of one pass-record line: CSV (with its header) or JSON lines, to named fields."""

from __future__ import annotations

import csv
from typing import Any

import orjson

from connectors.sdk.csv_header import header_names

__all__ = ["LineError", "csv_fields", "json_fields", "parse_header"]

_BOM = b"\xef\xbb\xbf"


class LineError(ValueError):
    """A line that cannot be read as a record at all (bad quoting, not JSON, wrong column count)."""


def parse_header(line: bytes, encoding: str, delimiter: str) -> list[str]:
    """The column names of a CSV header line, lower-cased and stripped (a UTF-8 BOM is dropped);
    raises LineError when a name occurs twice."""
    text = line.decode(encoding, errors="strict").lstrip("\ufeff")
    try:
        return header_names(next(csv.reader([text], delimiter=delimiter)))
    except ValueError as exc:
        raise LineError(str(exc)) from None


def csv_fields(header: list[str], line: bytes, encoding: str, delimiter: str) -> dict[str, Any]:
    """The named fields of one CSV line; raises LineError."""
    try:
        text = line.decode(encoding)
        row = next(csv.reader([text], delimiter=delimiter, strict=True))
    except (UnicodeDecodeError, csv.Error, StopIteration) as exc:
        raise LineError(f"unreadable CSV line: {exc}") from None
    if len(row) != len(header):
        raise LineError(f"CSV line has {len(row)} fields, the header has {len(header)}")
    return dict(zip(header, row, strict=True))


def json_fields(line: bytes) -> dict[str, Any]:
    """The fields of one JSON-lines record; raises LineError."""
    try:
        obj = orjson.loads(line.removeprefix(_BOM))  # a file's first line may start with a UTF-8 BOM
    except orjson.JSONDecodeError as exc:
        raise LineError(f"invalid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise LineError(f"a JSON line must be an object, got {type(obj).__name__}")
    return {str(k).strip().lower(): v for k, v in obj.items()}
