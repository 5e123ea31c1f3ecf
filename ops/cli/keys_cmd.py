"""`rax keys`: a region's key pairs and MAC keys, and the zone's matching keys (secrets stay on disk)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import orjson
import yaml

from ops.cli.common import fail, rax_home
from ops.keys import KeyStore, KeyStoreError
from ops.keys.matching import add_matching_key, read_matching_keys
from ops.keys.rest import create_rest_keys, read_rest_keys, rotate_rest_keys
from schemas.crypto.at_rest import RestKeys
from schemas.keys import KeyPurpose, RegionKey
from schemas.mac_keys import MacKey

__all__ = ["command"]


def _store(directory: str | None) -> KeyStore:
    return KeyStore(Path(directory) if directory else rax_home() / "keys")


_dir_option = click.option(
    "--dir",
    "directory",
    envvar="RAX_KEYS_DIR",
    default=None,
    help="The region's key store; default $RAX_HOME/keys. Private keys are written 0600 in 0700 dirs.",
)
_region_option = click.option("--region", required=True, help="The region's GB/T 2260 code.")

#: the longest overlap (days) or activation delay (minutes) taken: a century, well inside timedelta
_MAX_DELAY = 36_500.0


def _finite(_ctx: click.Context, param: click.Parameter, value: float) -> float:
    """``value`` if it is a number (FloatRange lets NaN through: it compares false both ways)."""
    if not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number", param=param)
    return value


def _delay_option(
    name: str, default: float, help: str
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        name,
        type=click.FloatRange(min=0, max=_MAX_DELAY),
        default=default,
        show_default=True,
        callback=_finite,
        help=help,
    )


def _rows(records: tuple[RegionKey, ...]) -> None:
    now = datetime.now(UTC)
    for r in records:
        until = r.valid_until.isoformat() if r.valid_until else "-"
        state = (
            "valid" if r.valid_at(now) else ("ended" if r.valid_until and r.valid_until <= now else "future")
        )
        click.echo(
            f"{r.key_id}  {r.purpose.value:4}  {r.algorithm:7}  {r.valid_from.isoformat()}  {until}  {state}"
        )


@click.group(name="keys")
def command() -> None:
    """A region's seal (X25519) and sign (Ed25519) key pairs; publish the public halves in the zone."""


@command.command(name="create")
@_region_option
@_dir_option
def create(region: str, directory: str | None) -> None:
    """Create the region's first seal and sign key pairs, valid from now until rotated."""
    try:
        _rows(_store(directory).create(region, datetime.now(UTC)))
    except KeyStoreError as exc:
        fail(str(exc))


@command.command(name="list")
@_region_option
@_dir_option
def list_keys(region: str, directory: str | None) -> None:
    """One line per key: id, purpose, algorithm, valid from, valid until, state now."""
    try:
        _rows(_store(directory).keys(region))
    except KeyStoreError as exc:
        fail(str(exc))


@command.command(name="rotate")
@_region_option
@_dir_option
@_delay_option(
    "--overlap",
    7.0,
    "Days the replaced keys stay valid beside the new ones (records in flight still open/verify).",
)
@click.option(
    "--purpose",
    type=click.Choice([p.value for p in KeyPurpose]),
    default=None,
    help="Rotate only this purpose; default both.",
)
def rotate(region: str, directory: str | None, overlap: float, purpose: str | None) -> None:
    """Add new keys valid from now; the replaced keys end OVERLAP days from now.

    Publish the zone with the new keys (`rax keys export`) before the overlap ends.
    """
    purposes = (KeyPurpose(purpose),) if purpose else tuple(KeyPurpose)
    try:
        _rows(_store(directory).rotate(region, datetime.now(UTC), timedelta(days=overlap), purposes))
    except KeyStoreError as exc:
        fail(str(exc))


@command.command(name="export")
@_region_option
@_dir_option
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def export(region: str, directory: str | None, fmt: str) -> None:
    """Print the region's public key records for the zone file's `keys:` list (no private data)."""
    try:
        records = _store(directory).keys(region)
    except KeyStoreError as exc:
        fail(str(exc))
    if not records:
        fail(f"{region} has no keys; create them with `rax keys create --region {region}`")
    entries = [orjson.loads(r.model_dump_json(exclude_none=True)) for r in records]
    if fmt == "json":
        click.echo(orjson.dumps(entries, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(yaml.safe_dump({"keys": entries}, sort_keys=False, allow_unicode=True), nl=False)


def _mac_rows(records: tuple[MacKey, ...]) -> None:
    now = datetime.now(UTC)
    for r in records:
        until = r.valid_until.isoformat() if r.valid_until else "-"
        state = (
            "valid" if r.valid_at(now) else ("ended" if r.valid_until and r.valid_until <= now else "future")
        )
        click.echo(f"{r.key_id}  mac   HMAC-SHA256  {r.valid_from.isoformat()}  {until}  {state}")


@command.group(name="mac")
def mac() -> None:
    """The region's record-MAC keys (32-byte secrets): its connectors attach rax.mac, processors verify.

    Secret on both sides: the region's store (the file its connectors read with --mac-key) and the
    processors' store (`export --to DIR`, read with `rax run … --mac-keys DIR`). Never in the zone or Kafka.
    """


@mac.command(name="create")
@_region_option
@_dir_option
def mac_create(region: str, directory: str | None) -> None:
    """Create the region's first MAC key, valid from now until rotated; prints the key file's path."""
    store = _store(directory)
    try:
        _mac_rows((store.create_mac(region, datetime.now(UTC)),))
    except KeyStoreError as exc:
        fail(str(exc))
    click.echo(f"key file (connectors' --mac-key): {store.mac_path(region)}", err=True)


@mac.command(name="list")
@_region_option
@_dir_option
def mac_list(region: str, directory: str | None) -> None:
    """One line per MAC key: id, algorithm, valid from, valid until, state now (never the secret)."""
    try:
        _mac_rows(_store(directory).mac_keys(region))
    except KeyStoreError as exc:
        fail(str(exc))


@mac.command(name="rotate")
@_region_option
@_dir_option
@_delay_option(
    "--overlap", 7.0, "Days the replaced key stays valid beside the new one (records in flight still verify)."
)
@_delay_option(
    "--activate", 10.0, "Minutes until the new key is used: the time to export it to the processors' store."
)
def mac_rotate(region: str, directory: str | None, overlap: float, activate: float) -> None:
    """Add a MAC key valid ACTIVATE minutes from now; the replaced key ends OVERLAP days after that.

    Export to the processors' store before it activates (`rax keys mac export --to DIR`): connectors
    switch to it by themselves once it is valid (they re-read their key file), and processors re-read
    their store, so nothing restarts and nothing is refused.
    """
    now = datetime.now(UTC)
    try:
        store = _store(directory)
        _mac_rows((store.rotate_mac(region, now, timedelta(days=overlap), timedelta(minutes=activate)),))
    except KeyStoreError as exc:
        fail(str(exc))


@mac.command(name="export")
@_region_option
@_dir_option
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The processors' MAC key store (made 0700); writes <region>.mac (0600) into it.",
)
def mac_export(region: str, directory: str | None, target: Path) -> None:
    """Copy the region's MAC keys (secrets) into the processors' store, replacing its file atomically."""
    try:
        click.echo(str(_store(directory).export_mac(region, target)))
    except KeyStoreError as exc:
        fail(str(exc))


@command.group("matching")
def matching() -> None:
    """The zone's matching keys (blind entries): one file, held by owners' connectors and the matcher."""


_file_argument = click.argument("file", type=click.Path(dir_okay=False, path_type=Path))


@matching.command(name="create")
@_file_argument
def matching_create(file: Path) -> None:
    """Add a new matching key to FILE (created 0600): owners place blind entries under the newest.

    Give the same file to the owners' `rax watchlist load --blind` and the matcher's
    `rax run hotpath --matching-keys`, over a channel outside Kafka; keep older keys until every entry
    placed under them is re-placed or expired.
    """
    try:
        key = add_matching_key(file, datetime.now(UTC))
    except KeyStoreError as exc:
        fail(str(exc))
    click.echo(f"{key.key_id}  valid from {key.valid_from.isoformat()}  in {file}")


@matching.command(name="list")
@_file_argument
def matching_list(file: Path) -> None:
    """The key ids in FILE and when each became valid (never the secrets)."""
    try:
        keys = read_matching_keys(file)
    except KeyStoreError as exc:
        fail(str(exc))
    for key in keys:
        click.echo(f"{key.key_id}  valid from {key.valid_from.isoformat()}")


@command.group("rest")
def rest() -> None:
    """The processors' at-rest key file: changelogs, inboxes, matches, watchlist sealed."""


def _rest(action: Callable[[Path], RestKeys], file: Path) -> None:
    """Run ``action`` on the at-rest key file and show its key ids (never the secrets)."""
    try:
        keys = action(file)
    except KeyStoreError as exc:
        fail(str(exc))
    for i, key in enumerate(keys.keys):
        role = "seals and opens" if i == len(keys.keys) - 1 else "opens"
        click.echo(f"{key.key_id}  created {key.created.isoformat()}  {role}  in {file}")


@rest.command(name="create")
@_file_argument
def rest_create(file: Path) -> None:
    """Create FILE (0600): give it to every processor (`rax run ... --rest-key FILE`), never to Kafka."""
    _rest(lambda f: create_rest_keys(f, datetime.now(UTC)), file)


@rest.command(name="rotate")
@_file_argument
def rest_rotate(file: Path) -> None:
    """Add a sealing key to FILE: processors seal with it once restarted; records sealed before still open."""
    _rest(lambda f: rotate_rest_keys(f, datetime.now(UTC)), file)


@rest.command(name="list")
@_file_argument
def rest_list(file: Path) -> None:
    """The sealing key ids in FILE, the one that seals last (never the secrets)."""
    _rest(read_rest_keys, file)
