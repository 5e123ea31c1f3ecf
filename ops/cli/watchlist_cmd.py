"""`rax watchlist load FILE --region CODE`: place and withdraw watchlist entries listed in a CSV file."""

from __future__ import annotations

from pathlib import Path

import click

from connectors.sdk import FatalError, Runtime, RuntimeConfig
from connectors.watchlist_csv import WatchlistCsvConfig, WatchlistCsvSource
from ops.cli.common import fail, kafka_options, namespace_option, resolve_kafka

__all__ = ["command"]

#: how many rejected lines `load` prints (all are in the DLQ)
_SHOWN = 100


@click.group("watchlist")
def command() -> None:
    """Watchlists (布控): load place / withdraw commands."""


@command.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--region", required=True, help="GB/T 2260 code of the owner region (publishes as it).")
@namespace_option
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    help=WatchlistCsvConfig.model_fields["encoding"].description,
)
@click.option(
    "--blind",
    "blind_keys",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=WatchlistCsvConfig.model_fields["blind_keys"].description,
)
@click.option(
    "--zone",
    "zone_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=WatchlistCsvConfig.model_fields["zone_file"].description,
)
@click.option(
    "--mac-key",
    "mac_key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=RuntimeConfig.model_fields["mac_key_file"].description,
)
@click.option(
    "--sign-key",
    "sign_key_store",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help=RuntimeConfig.model_fields["sign_key_store"].description,
)
@kafka_options
def load(
    file: Path,
    region: str,
    namespace: str,
    encoding: str,
    blind_keys: Path | None,
    zone_file: Path | None,
    mac_key_file: Path | None,
    sign_key_store: Path | None,
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
) -> None:
    """Publish every command of FILE once and wait for Kafka; exit 1 if any line was rejected.

    Columns: see `rax connector describe watchlist-csv`. Loading the same file again re-sends the same
    commands with the same ids, which the control app treats as one. Each rejected line is printed to
    stderr with its line number and the reason (and is in the DLQ). Where the zone's processors require
    MACs or batch signatures, give --mac-key / --sign-key as to the region's connectors: a command
    without them is published, then refused there as forged (in the control app's DLQ and the audit).
    """
    kafka = resolve_kafka(bootstrap, username, password, ssl_ca)
    try:
        runtime = RuntimeConfig(
            region=region,
            namespace=namespace,
            linger_ms=5,
            mac_key_file=mac_key_file,  # where the processors require MACs (or batch signatures)
            sign_key_store=sign_key_store,
        )
    except ValueError as exc:
        fail(str(exc))
    try:
        config = WatchlistCsvConfig(
            path=file.resolve(), follow=False, encoding=encoding, blind_keys=blind_keys, zone_file=zone_file
        )
    except ValueError as exc:
        fail(str(exc))
    try:
        report = Runtime(WatchlistCsvSource, config, runtime, kafka).run()
    except FatalError as exc:
        fail(f"watchlist load stopped: {exc}", code=2)
    click.echo(f"{file}: {report.records_out} command(s) published, {report.rejected} rejected (see the DLQ)")
    for origin, reason in report.rejections[:_SHOWN]:
        click.echo(f"rejected {origin}: {reason}", err=True)
    if report.rejected > _SHOWN:
        click.echo(f"… and {report.rejected - _SHOWN} more rejected (see the DLQ)", err=True)
    if report.rejected:
        raise SystemExit(1)
