"""`rax check`: the one check command — format, lint, types and every test — the same locally and in CI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import click

__all__ = ["command"]

_CODE = ["schemas", "streams", "connectors", "ops", "tests", "bench"]
_ROOT = Path(__file__).resolve().parents[2]  # ops/cli/check_cmd.py -> the checkout


def _code() -> list[str]:
    return [d for d in _CODE if Path(d).is_dir()]


def _run(title: str, argv: list[str]) -> bool:
    click.secho(f"== {title}: {' '.join(argv)}", bold=True)
    t0 = time.monotonic()
    ok = subprocess.run(argv, check=False).returncode == 0
    click.secho(
        f"== {title}: {'ok' if ok else 'FAILED'} ({time.monotonic() - t0:.0f} s)", fg="green" if ok else "red"
    )
    return ok


@click.command("check", context_settings={"ignore_unknown_options": True})
@click.option(
    "--only",
    type=click.Choice(["lint", "unit", "integration", "browser", "faults", "tests"]),
    default=None,
    help="Run one part: lint (format+ruff+mypy), or one test suite, or all tests.",
)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def command(only: str | None, pytest_args: tuple[str, ...]) -> None:
    """Format check, lint, types, then unit, integration, browser and fault tests on a real local Kafka.

    Extra arguments go to pytest (e.g. `rax check -- -k zone`). Exits non-zero if anything failed.
    """
    os.chdir(_ROOT)  # the checkout's suites and sources, wherever it is called from
    py = sys.executable
    results: list[bool] = []
    if only in (None, "lint"):
        results.append(_run("format", [py, "-m", "ruff", "format", "--check", *_code()]))
        results.append(_run("lint", [py, "-m", "ruff", "check", *_code()]))
        results.append(_run("types", [py, "-m", "mypy"]))
    if only != "lint":
        suites = {
            "unit": ["tests/unit"],
            "integration": ["tests/integration"],
            "browser": ["tests/browser"],  # the console in Debian's chromium (skipped, saying so, without it)
            "faults": ["tests/faults"],
        }
        # fast suites first: a broken unit fails the run in seconds, not after the fault tests
        paths = suites.get(only or "", ["tests/unit", "tests/integration", "tests/browser", "tests/faults"])
        results.append(_run("tests", [py, "-m", "pytest", "-p", "no:cacheprovider", *paths, *pytest_args]))
    if not all(results):
        raise SystemExit(1)
