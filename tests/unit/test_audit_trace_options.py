"""`rax audit trace` refuses an operator its audit record cannot carry and a timeout that is no timeout."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ops.cli import main

TRACE = ["audit", "trace", "--bootstrap", "127.0.0.1:1", "--plate", "川A12345", "--as-region", "510521"]


@pytest.mark.parametrize(
    "args",
    [
        ["--operator", ""],
        ["--operator", "x" * 129],
        ["--operator", "x1\nx2"],
        ["--operator", "x1", "--timeout", "nan"],
        ["--operator", "x1", "--timeout", "inf"],
        ["--operator", "x1", "--timeout", "0"],
        ["--operator", "x1", "--timeout", "-5"],
    ],
    ids=repr,
)
def test_a_bad_operator_or_timeout_is_a_usage_error(args: list[str]) -> None:
    result = CliRunner().invoke(main, [*TRACE, *args])
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Invalid value for '--" in result.output
