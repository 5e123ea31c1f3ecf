"""The checkpoint-file source read without Kafka: headers, blank lines, BOMs; and the HTTP body's BOM."""

from __future__ import annotations

import logging
from pathlib import Path

from connectors.checkpoint_file import CheckpointFileConfig, CheckpointFileSource
from connectors.checkpoint_http.logic import body_records
from connectors.sdk import SourceContext, SourceRecord

BOM = b"\xef\xbb\xbf"
LINE = '{"kkbh":"510000-K1","hphm":"川A%05d","gcsj":"2024-05-01 08:30:00"}\n'


def _read(directory: Path, pattern: str, polls: int = 1) -> list[SourceRecord]:
    config = CheckpointFileConfig(directory=directory, pattern=pattern)
    source = CheckpointFileSource(config, SourceContext("510000", "test", logging.getLogger("test.kk")))
    source.setup(None)
    try:
        return [r for _ in range(polls) for r in source.poll(0.0).records]
    finally:
        source.stop()


def _plates(records: list[SourceRecord]) -> list[object]:
    return [r.value.get("plate") if isinstance(r.value, dict) else r.error for r in records]


def test_a_json_lines_file_that_starts_with_a_bom_loses_no_record(tmp_path: Path) -> None:
    (tmp_path / "kk.jsonl").write_bytes(BOM + (LINE % 1 + LINE % 2).encode())
    assert _plates(_read(tmp_path, "*.jsonl")) == ["川A00001", "川A00002"]


def test_an_http_body_that_starts_with_a_bom_is_read() -> None:
    ((fields, _),) = body_records(BOM + (LINE % 1).encode(), 10)
    assert fields["hphm"] == "川A00001"


def test_blank_lines_before_the_csv_header_are_skipped(tmp_path: Path) -> None:
    text = "\r\n\nkkbh,hphm,gcsj\r\n510000-K1,川A00001,2024-05-01 08:30:00\r\n"
    (tmp_path / "kk.csv").write_text(text, encoding="utf-8")
    assert _plates(_read(tmp_path, "*.csv")) == ["川A00001"]


def test_a_header_naming_a_column_twice_dead_letters_its_lines_instead_of_picking_one(tmp_path: Path) -> None:
    text = "kkbh,hphm,gcsj,hphm\n510000-K1,川A00001,2024-05-01 08:30:00,川A99999\n"
    (tmp_path / "kk.csv").write_text(text, encoding="utf-8")
    records = _read(tmp_path, "*.csv")
    assert [r.value for r in records] == [None, None]  # the header and the line, each with the reason
    assert all(r.error and "'hphm' more than once" in r.error for r in records)


def test_a_line_longer_than_the_tail_reads_is_dead_lettered_and_the_lines_after_it_read(
    tmp_path: Path,
) -> None:
    long = '{"kkbh":"510000-K1","hphm":"川A00009","note":"' + "x" * (2 << 20) + '"}\n'
    (tmp_path / "kk.jsonl").write_text(LINE % 1 + long + LINE % 2, encoding="utf-8")
    records = _read(tmp_path, "*.jsonl", polls=3)
    assert _plates(records)[0] == "川A00001" and _plates(records)[2] == "川A00002"
    assert (
        records[1].value is None and records[1].error and "longer than the 1048576 bytes" in records[1].error
    )


def test_two_names_for_one_field_with_different_values_are_refused_not_picked(tmp_path: Path) -> None:
    text = '{"kkbh":"510000-K1","hphm":"川A00001","plate":"川B99999","gcsj":"2024-05-01 08:30:00"}\n'
    text += '{"kkbh":"510000-K1","hphm":"川A00002","plate":"川A00002","gcsj":"2024-05-01 08:30:00"}\n'
    (tmp_path / "kk.jsonl").write_text(text, encoding="utf-8")
    refused, same = _read(tmp_path, "*.jsonl")
    assert refused.value is None and refused.error == "hphm and plate both give plate, with different values"
    assert isinstance(same.value, dict) and same.value["plate"] == "川A00002"
