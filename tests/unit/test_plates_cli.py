"""Tests of `rax plates check` through click's CliRunner."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import orjson
from click.testing import CliRunner

from ops.cli import main

KEYS = ["input", "valid", "plate", "kind", "error"]


def _run(args: list[str], stdin: str | bytes | None = None) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(main, ["plates", "check", *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [orjson.loads(line) for line in result.stdout_bytes.splitlines()]


def test_all_valid_from_stdin_exits_0() -> None:
    code, rows = _run([], "川A12345\n\n  \n粤Z·1234港\r\nma 12 34\n")
    assert code == 0
    assert rows == [
        {"input": "川A12345", "valid": True, "plate": "川A12345", "kind": "ordinary", "error": None},
        {
            "input": "粤Z·1234港",
            "valid": True,
            "plate": "粤Z1234港",
            "kind": "hk_macau_crossborder",
            "error": None,
        },
        {"input": "ma 12 34", "valid": True, "plate": "MA-12-34", "kind": "macau", "error": None},
    ]
    assert all(list(row) == KEYS for row in rows)


def test_dash_means_stdin() -> None:
    assert _run(["-"], "川A12345\n") == _run([], "川A12345\n")


def test_any_invalid_exits_1_and_reports_every_line() -> None:
    code, rows = _run([], "川A12345\n亚A12345\n川A1234\n")
    assert code == 1
    assert [row["valid"] for row in rows] == [True, False, False]
    assert rows[1] == {
        "input": "亚A12345",
        "valid": False,
        "plate": None,
        "kind": None,
        "error": "unknown province character '亚'",
    }
    assert rows[2]["error"] == (
        "expected 7 characters for an ordinary plate, got 6 (a consulate plate ends in 领: 川A1234领)"
    )


def test_bom_and_bad_utf8_bytes(tmp_path: Path) -> None:
    path = tmp_path / "plates.txt"
    path.write_bytes("\ufeff川A12345\n".encode() + b"\xff\xfeA12345\n")
    code, rows = _run([str(path)])
    assert code == 1
    assert rows[0]["plate"] == "川A12345"
    assert rows[1]["valid"] is False


def test_empty_input_exits_0() -> None:
    assert _run([], "") == (0, [])


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plates", "check", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2


def test_help_documents_the_exit_status() -> None:
    result = CliRunner().invoke(main, ["plates", "check", "--help"])
    assert result.exit_code == 0
    assert "1 when any is invalid" in result.output


def test_whole_ccpd_sample_is_valid(tmp_path: Path) -> None:
    sample = resources.files("schemas").joinpath("data", "ccpd_balanced_sample.txt").read_text("utf-8")
    path = tmp_path / "sample.txt"
    path.write_text(sample, encoding="utf-8")
    code, rows = _run([str(path)])
    assert code == 0
    assert len(rows) == 8579
    assert all(row["valid"] and row["plate"] == row["input"] for row in rows)
    code, rows = _run(["-"], sample)
    assert (code, len(rows)) == (0, 8579)


def test_read_checks_reads_at_read_strictness() -> None:
    code, rows = _run(["--read"], "川A6ZE1N\n川A1234\n川A12B4\n")
    assert code == 1
    assert [(row["valid"], row["plate"]) for row in rows] == [
        (True, "川A6ZE1N"),
        (True, "川A1234领"),
        (False, None),
    ]
    code, rows = _run([], "川A6ZE1N\n")  # a 3-letter serial is a real plate: an entry too
    assert code == 0 and rows[0]["plate"] == "川A6ZE1N"


def test_a_hong_kong_personalised_mark_is_valid_only_with_its_issuer() -> None:
    code, rows = _run([], "TVB\n")
    assert code == 1 and "plate_issuer hong_kong" in str(rows[0]["error"])
    code, rows = _run(["--issuer", "hong_kong"], "TVB\nLW2468\n")
    assert code == 0 and [r["kind"] for r in rows] == ["hong_kong_personalised", "hong_kong"]
    code, rows = _run(["--issuer", "hong_kong"], "川A12345\n")
    assert code == 1 and "not a hong_kong one as stated" in str(rows[0]["error"])
    assert _run(["--read"], "TVB\n")[0] == 0  # a read needs no issuer
