"""Watchlist CSV: RFC 4180 records over lines, BOM and GBK, formula neutralising; the source without Kafka."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors.sdk import SourceContext, SourceRecord
from connectors.sdk.tail import Line
from connectors.watchlist_csv import WatchlistCsvConfig, WatchlistCsvSource
from connectors.watchlist_csv.mapping import command_fields
from connectors.watchlist_csv.records import RecordJoiner, still_quoted
from schemas.watchlist import PlaceCommand

HEADER = (
    "op,reference,plate,plate_colour,category,action,priority,tolerance,legal_basis,description,scope,"
    "placed_at,expires_at,review_at,operator,approval_unit,approval_approver,approval_at,approval_reference,"
    "reason,issued_at"
)


def _row(i: int, legal: str = "刑诉法", description: str = "", reference: str = "") -> list[str]:
    return ["place", reference or f"REF-{i}", f"川A{i:05d}", "blue", "stolen_vehicle", "intercept", "high",
            "0", legal, description, "", "2024-05-01 08:00:00", "2034-05-01 08:00:00", "", f"P{i}", "某局",
            "张三", "2024-05-01 07:00:00", f"审-{i}", "", ""]  # fmt: skip


def _csv(rows: list[list[str]], newline: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(HEADER.split(","))
    writer.writerows(rows)
    return out.getvalue()


def _lines(data: bytes) -> list[Line]:
    out, pos = [], 0
    for raw in data.splitlines(keepends=True):
        out.append(Line(raw.rstrip(b"\r\n"), "f", "wl.csv", pos))
        pos += len(raw)
    return out


def _join(data: bytes, max_lines: int = 100) -> list[tuple[bytes, int | None, int | None, str | None]]:
    joiner = RecordJoiner(ord(","), max_lines)
    out = [rec for line in _lines(data) for rec in joiner.feed(line)] + joiner.flush()
    return [(r.data, r.first_line, r.last_line, r.error) for r in out]


def test_a_quoted_field_may_span_lines_and_hold_doubled_quotes() -> None:
    data = b'a,b\n1,"two\nlines, and ""quotes"""\n3,x\n'
    assert _join(data) == [
        (b"a,b", 1, 1, None),
        (b'1,"two\nlines, and ""quotes"""', 2, 3, None),
        (b"3,x", 4, 4, None),
    ]


def test_a_quote_inside_an_unquoted_field_does_not_open_one() -> None:
    assert not still_quoted(b'1,5" screen,x', ord(","))
    assert still_quoted(b'1,"open', ord(","))
    assert not still_quoted(b'still open", 2', ord(","), quoted=True)


def test_an_unclosed_quote_costs_one_line_not_the_rest_of_the_file() -> None:
    data = b'a,b\n1,"never closed\n2,x\n3,y\n'
    out = _join(data, max_lines=2)
    assert out[1] == (b'1,"never closed', 2, 2, "a quoted field is not closed within 2 lines")
    assert out[2:] == [(b"2,x", 3, 3, None), (b"3,y", 4, 4, None)]
    at_end = _join(b'a,b\n1,x\n2,"open\n')
    assert at_end[-1] == (b'2,"open', 3, 3, "a quoted field is not closed at the end of the file")


_FIELD = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\x00"), max_size=20)


@given(st.lists(st.lists(_FIELD, min_size=1, max_size=4), min_size=1, max_size=8))
def test_whatever_csv_writes_is_read_back_record_by_record(rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    records = [d for d, _, _, err in _join(out.getvalue().encode()) if err is None]
    # a line of nothing but spaces is a blank line, not a record of one field
    rows = [r for r in rows if not (len(r) == 1 and r[0] and not r[0].encode().strip() and "\n" not in r[0])]
    parsed = [next(csv.reader([d.decode()], strict=True)) for d in records]
    assert parsed == rows


def test_free_text_is_neutralised_and_plates_ids_numbers_and_times_are_not() -> None:
    values = _row(1, legal='=HYPERLINK("http://x","y")', description="-1+cmd|' /C calc'!A0")
    row = dict(zip(HEADER.split(","), values, strict=True))
    row["reason"], row["operator"] = "@SUM(1)", "-0012"
    fields = command_fields(row, "510000", "line")
    entry = fields["entry"]
    assert entry["legal_basis"] == '\'=HYPERLINK("http://x","y")'
    assert entry["description"] == "'-1+cmd|' /C calc'!A0"
    assert entry["plate"] == "川A00001" and entry["placed_at"].isoformat() == "2024-05-01T08:00:00+08:00"
    assert entry["approval"]["unit"] == "某局" and entry["operator"] == "-0012"  # a number: untouched
    withdraw = command_fields(row | {"op": "withdraw", "reason": "+found it"}, "510000", "line")
    assert withdraw["reason"] == "'+found it"
    # the officer and the approval's reference are text another region reads too
    formulas = {"operator": '=HYPERLINK("http://x","c")', "approval_reference": "=cmd|' /C calc'!A0"}
    fields = command_fields(row | formulas, "510000", "line")
    assert fields["entry"]["operator"] == '\'=HYPERLINK("http://x","c")'
    assert fields["entry"]["approval"]["reference"] == "'=cmd|' /C calc'!A0"
    assert fields["entry"]["entry_id"] == entry["entry_id"]  # the reference names the same entry


def test_the_config_refuses_encodings_that_are_not_ascii_compatible() -> None:
    with pytest.raises(ValueError, match="UTF-8"):
        WatchlistCsvConfig(path=Path("x.csv"), encoding="utf-16")
    with pytest.raises(ValueError, match="unknown encoding"):
        WatchlistCsvConfig(path=Path("x.csv"), encoding="gbkk")


# ---- the source, reading a file once, without Kafka ----------------------------------------------------
def _read(path: Path, encoding: str = "utf-8") -> list[SourceRecord]:
    config = WatchlistCsvConfig(path=path, follow=False, encoding=encoding)
    source = WatchlistCsvSource(config, SourceContext("510000", "test", logging.getLogger("test.wl")))
    source.setup(None)
    out: list[SourceRecord] = []
    try:
        for _ in range(20):
            batch = source.poll(0.0)
            out += batch.records
            if batch.end:
                return out
    finally:
        source.stop()
    raise AssertionError("the source did not end")


def test_a_gbk_file_with_a_multi_line_description_is_read(tmp_path: Path) -> None:
    path = tmp_path / "wl.csv"
    text = _csv([_row(1, description='白色轿车\n左后门有划痕，"大众"字样'), _row(2)], newline="\r\n")
    path.write_bytes(text.encode("gbk"))
    records = _read(path, "gbk")
    assert [r.error for r in records] == [None, None]
    first = records[0].value
    assert isinstance(first, dict) and first["entry"]["description"] == '白色轿车\n左后门有划痕，"大众"字样'
    assert records[0].origin.endswith("(lines 2-3)") and records[1].origin.endswith("(line 4)")


def test_a_bom_and_a_last_line_without_newline_are_handled(tmp_path: Path) -> None:
    path = tmp_path / "wl.csv"
    path.write_bytes("\ufeff".encode() + _csv([_row(1), _row(2)]).rstrip("\n").encode())
    records = _read(path)
    assert [r.error for r in records] == [None, None]
    assert [r.value["entry"]["plate"] for r in records if isinstance(r.value, dict)] == [
        "川A00001",
        "川A00002",
    ]


def test_a_refused_line_says_which_line_and_why(tmp_path: Path) -> None:
    path = tmp_path / "wl.csv"
    path.write_text(_csv([_row(1)]) + "place,REF-9,川A00009\n", encoding="utf-8")
    good, bad = _read(path)
    assert good.error is None
    assert bad.origin.endswith("(line 3)") and bad.error == "line has 3 fields, the header has 21"


def test_a_line_longer_than_the_tail_reads_is_refused_alone(tmp_path: Path) -> None:
    path = tmp_path / "wl.csv"
    path.write_text(_csv([_row(1), _row(9, description="x" * (2 << 20)), _row(2)]), encoding="utf-8")
    first, long, second = _read(path)
    assert (first.error, second.error) == (None, None)
    assert long.value is None and long.error and "longer than the 1048576 bytes" in long.error


def test_a_hong_kong_personalised_mark_is_placed_with_its_issuer_column_and_refused_without() -> None:
    header = HEADER.replace("plate,", "plate,plate_issuer,", 1).split(",")
    values = _row(1)
    values[2:3] = ["TVB", "hong_kong"]
    fields = command_fields(dict(zip(header, values, strict=True)), "510000", "line")
    assert PlaceCommand.model_validate(fields).entry.plate_issuer == "hong_kong"
    values[3] = ""
    fields = command_fields(dict(zip(header, values, strict=True)), "510000", "line")
    with pytest.raises(ValidationError, match="plate_issuer hong_kong"):
        PlaceCommand.model_validate(fields)


def test_a_header_naming_a_column_twice_refuses_every_line_not_one_of_the_values(tmp_path: Path) -> None:
    path = tmp_path / "wl.csv"  # a second plate column: which plate is the entry's cannot be told
    path.write_text(f"{HEADER},plate\n" + ",".join([*_row(1), "川B99999"]) + "\n", encoding="utf-8")
    records = _read(path)
    assert [r.value for r in records] == [None, None]
    assert all(r.error and "'plate' more than once" in r.error for r in records)


def test_blank_lines_before_the_header_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "wl.csv"
    path.write_text("\n\r\n" + _csv([_row(1), _row(2)]), encoding="utf-8")
    records = _read(path)
    assert [r.error for r in records] == [None, None]
    assert records[0].origin.endswith("(line 4)")
