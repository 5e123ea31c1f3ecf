"""`rax plates`: check plate text from a file or stdin and report each plate as one JSON line."""

from __future__ import annotations

from typing import IO

import click
import orjson

from schemas.plates import PlateIssuer, Strictness, check_plate

__all__ = ["command"]


@click.group(name="plates")
def command() -> None:
    """Plate normalisation and validation."""


@command.command(name="check")
@click.argument(
    "file",
    type=click.File("r", encoding="utf-8-sig", errors="replace", lazy=False),
    default="-",
)
@click.option(
    "--read",
    "as_read",
    is_flag=True,
    help="Check as camera reads (read strictness: any text of a plate's shape) instead of as "
    "watchlist entries (entry strictness: real plates only).",
)
@click.option(
    "--issuer",
    type=click.Choice([i.value for i in PlateIssuer]),
    default=None,
    help="Who issued the plates, as a watchlist entry's plate_issuer states it (hong_kong is needed "
    "for a Hong Kong personalised mark such as 1L0VEU).",
)
def check(file: IO[str], as_read: bool, issuer: str | None) -> None:
    """Check one plate per line of FILE (default - for stdin); blank lines are skipped.

    Prints one JSON object per plate: {"input", "valid", "plate", "kind", "error"}, where plate is the
    normalised plate and kind its kind when valid, and error says what is wrong when not. Bytes that
    are not UTF-8 are replaced by U+FFFD, which makes that line invalid.

    Exit status: 0 when every plate is valid, 1 when any is invalid, 2 on a usage error.
    """
    out = click.get_binary_stream("stdout")
    invalid = 0
    for line in file:
        raw = line.rstrip("\r\n")
        if not raw.strip():
            continue
        strictness = Strictness.READ if as_read else Strictness.ENTRY
        result = check_plate(raw, strictness, None if issuer is None else PlateIssuer(issuer))
        invalid += not result["valid"]
        out.write(orjson.dumps(result, option=orjson.OPT_APPEND_NEWLINE))
    out.flush()
    if invalid:
        click.get_current_context().exit(1)
