"""`rax run escalate` yields the CPU to deliveries: it lowers its own priority, by --nice, before it runs."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from ops.cli import run_escalate


def test_lower_priority_raises_the_niceness_of_the_process_by_the_steps() -> None:
    code = "from ops.cli.run_loop import lower_priority; print(lower_priority(3))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) == min(19, os.nice(0) + 3)


@pytest.mark.parametrize(("args", "expected"), [([], []), (["--nice", "4"], [4]), (["--nice", "0"], [])])
def test_escalate_lowers_its_priority_before_it_runs(
    monkeypatch: pytest.MonkeyPatch, args: list[str], expected: list[int]
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(run_escalate, "lower_priority", lambda steps: calls.append(steps))
    monkeypatch.setattr(run_escalate, "run_processor", lambda *a: calls.append("run"))
    result = CliRunner().invoke(run_escalate.command, ["--bootstrap", "127.0.0.1:1", *args])
    assert result.exit_code == 0, result.output
    assert calls == [*expected, "run"]
