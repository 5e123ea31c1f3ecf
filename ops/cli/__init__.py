"""The `rax` command: one entry point whose sub-command groups live in sibling modules."""

from __future__ import annotations

import importlib
import logging

import click

__all__ = ["main"]

# sub-command name -> module that defines a click command or group called `command`
_SUBCOMMANDS = {
    "broker": "ops.cli.broker_cmd",
    "plates": "ops.cli.plates_cmd",
    "zone": "ops.cli.zone_cmd",
    "check": "ops.cli.check_cmd",
    "demo": "ops.cli.demo_cmd",
    "run": "ops.cli.run_cmd",
    "connector": "ops.cli.connector_cmd",
    "watchlist": "ops.cli.watchlist_cmd",
    "centre": "ops.cli.centre_cmd",
    "dlq": "ops.cli.dlq_cmd",
    "keys": "ops.cli.keys_cmd",
    "ops": "ops.cli.ops_cmd",
    "request": "ops.cli.request_cmd",
    "audit": "ops.cli.audit_cmd",
    "evaluate": "ops.cli.evaluate_cmd",
}


class _LazyGroup(click.Group):
    """Imports a sub-command's module only when it is used, so `rax --help` stays fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = _SUBCOMMANDS.get(cmd_name)
        if module is None:
            return None
        cmd: click.Command = importlib.import_module(module).command
        return cmd


@click.group(cls=_LazyGroup)
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """RAX, the Regional Alert eXchange."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
