"""Every `--namespace` of the CLI is checked as it is parsed: a usage error, never a traceback later."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
from click.testing import CliRunner

from ops.cli import main
from ops.cli.common import check_namespace

EXAMPLE = Path(__file__).parents[2] / "ops" / "zones" / "chuanyu.yaml"


def _commands(group: click.Group, path: str = "rax") -> Iterator[tuple[str, click.Command]]:
    for name, sub in group.commands.items():
        if isinstance(sub, click.Group):
            yield from _commands(sub, f"{path} {name}")
        else:
            yield f"{path} {name}", sub


def test_every_namespace_option_is_checked_when_parsed() -> None:
    unchecked = [
        path
        for path, cmd in _commands(main)
        for param in cmd.params
        if param.name == "namespace" and param.callback is not check_namespace
    ]
    assert not unchecked, f"--namespace accepted unchecked by: {unchecked}"


def test_a_bad_namespace_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["zone", "check", str(EXAMPLE), "--namespace", "a b"])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--namespace'" in result.output
