"""`rax run hotpath | control | escalate | evaluate`: run one of the stream processors in the foreground."""

from __future__ import annotations

import importlib

import click

__all__ = ["command"]

_PROCESSES = {
    "hotpath": "ops.cli.run_hotpath",
    "control": "ops.cli.run_control",
    "escalate": "ops.cli.run_escalate",
    "evaluate": "ops.cli.run_evaluate",
}


class _LazyRun(click.Group):
    """Imports a processor's module only when it runs (`rax --help` stays quick)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_PROCESSES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = _PROCESSES.get(cmd_name)
        if module is None:
            return None
        cmd: click.Command = importlib.import_module(module).command
        return cmd


@click.group("run", cls=_LazyRun)
def command() -> None:
    """Run a stream processor: the hot path, the control app, escalation, or the evaluation app."""
