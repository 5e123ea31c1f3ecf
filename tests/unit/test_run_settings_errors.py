"""`rax run <processor>` with a value its settings refuse: one line saying which, not a stack trace."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ops.cli import main

BAD = [
    ["hotpath", "--dedup-window", "-5"],
    ["hotpath", "--dedup-window", "nan"],
    ["hotpath", "--known-window", "inf"],
    ["hotpath", "--batch-size", "0"],
    ["hotpath", "--batch-timeout", "nan"],
    ["hotpath", "--worker-id", ""],
    ["escalate", "--batch-size", "-1"],
    ["escalate", "--worker-id", ""],
    ["evaluate", "--tick", "nan"],
    ["evaluate", "--tick", "-1"],
    ["control", "--tick", "nan"],
]


@pytest.mark.parametrize("args", BAD, ids=" ".join)
def test_a_refused_setting_is_a_message(args: list[str]) -> None:
    result = CliRunner().invoke(main, ["run", *args, "--bootstrap", "127.0.0.1:1"])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1 and "invalid settings" in result.output, result.output
