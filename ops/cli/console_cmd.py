"""`rax centre console` and `rax centre officers add|remove|list`: the command-centre web console."""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path

import click

from ops.cli.common import fail, kafka_options, namespace_option, rax_home, resolve_kafka
from ops.console import ConsoleServer, ConsoleSettings, Officer, OfficerError, OfficerFile, Role
from schemas.regions import UnknownRegion, check_region

__all__ = ["console", "officers"]


def _region(code: str) -> str:
    try:
        return check_region(code)
    except UnknownRegion as exc:
        fail(str(exc))


def _officers_path(region: str, path: Path | None) -> Path:
    return path or rax_home() / "console" / f"officers-{region}.json"


def _accounts(path: Path) -> dict[str, Officer]:
    """The officers of ``path``; a file that cannot be read is said, not a traceback."""
    try:
        return OfficerFile(path).load()
    except OfficerError as exc:
        fail(str(exc))


_FILE = click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The officers file; default $RAX_HOME/console/officers-<region>.json.",
)


@click.command("console")
@kafka_options
@click.option("--region", required=True, help="The centre's region (GB/T 2260 code); use its own identity.")
@namespace_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8443, show_default=True,
              help="Port (0: any free port, printed).")  # fmt: skip
@_FILE
@click.option("--zone", "zone_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="The zone file: its reject reasons are offered.")  # fmt: skip
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="PEM certificate (chain) issued by the zone's CA: serve HTTPS.")  # fmt: skip
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="PEM private key of --tls-cert (absent: in the same file).")  # fmt: skip
@click.option("--mac-key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The region's MAC key file: answers and alerts carry rax.mac.")  # fmt: skip
@click.option("--keys", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The region's key store (rax keys create): sealed deliveries are opened.")  # fmt: skip
@click.option("--sign", is_flag=True,
              help="Sign what is published with the sign key of --keys (rax.sig; alerts too).")  # fmt: skip
@click.option("--session-idle", type=click.FloatRange(0, min_open=True), default=900, show_default=True,
              help="Idle sign-out, seconds.")  # fmt: skip
@click.option("--scorecards-url", default=None,
              help="The evaluation app's web address (http://HOST:9404): the scorecard page.")  # fmt: skip
@click.option("--audit-username", default=None,
              help="An identity that may read and write rax.audit, for supervisors' traces; without it "
                   "the page cannot trace (a region's own identity may not read rax.audit).")  # fmt: skip
@click.option("--audit-password", envvar="RAX_AUDIT_PASSWORD", default=None, help="Its SASL/SCRAM password.")
@click.option("--audit-index", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The index of `rax audit index`, used by traces if it exists.")  # fmt: skip
def console(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    region: str,
    namespace: str,
    host: str,
    port: int,
    path: Path | None,
    zone_file: Path | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    mac_key: Path | None,
    keys: Path | None,
    sign: bool,
    session_idle: float,
    scorecards_url: str | None,
    audit_username: str | None,
    audit_password: str | None,
    audit_index: Path | None,
) -> None:
    """Serve the region's command-centre console: live deliveries, answers, alerts (docs/console.md)."""
    region = _region(region)
    officers = _officers_path(region, path)
    if not _accounts(officers):
        fail(f"no officers in {officers}: add one with `rax centre officers add NAME --region {region}`")
    extra: dict[str, object] = {}
    if sign and keys is None:
        fail("--sign needs --keys (the region's key store, with its sign key)")
    if zone_file is not None:
        from ops.zone import load_zone_file

        extra["reject_reasons"] = load_zone_file(zone_file).reject_reasons
    kafka = resolve_kafka(bootstrap, username, password, ssl_ca)
    if audit_username is not None:
        extra["audit_kafka"] = kafka.as_user(audit_username, audit_password or "")
    settings = ConsoleSettings(
        kafka=kafka,
        namespace=namespace,
        region=region,
        host=host,
        port=port,
        officers=officers,
        journal=rax_home() / "console" / f"journal-{namespace}-{region}.jsonl",
        tls_cert=tls_cert,
        tls_key=tls_key,
        mac_key=mac_key,
        keys=keys,
        sign=sign,
        session_idle_s=session_idle,
        scorecards_url=scorecards_url,
        audit_index=audit_index,
        **extra,
    )
    server = ConsoleServer(settings)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: server.stop())
    server.start()
    click.echo(f"console of {region} on {server.url}/", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        signal.pause()
    server.stop()


@click.group("officers")
def officers() -> None:
    """The console's officer accounts (viewer, duty_officer, supervisor)."""


@officers.command("add")
@click.argument("name")
@click.option("--region", required=True, help="The centre's region.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.DUTY_OFFICER.value,
              show_default=True, help="What the officer may do.")  # fmt: skip
@click.option("--password", envvar="RAX_OFFICER_PASSWORD", prompt=True, hide_input=True,
              confirmation_prompt=True, help="Prompted, or $RAX_OFFICER_PASSWORD.")  # fmt: skip
@_FILE
def add(name: str, region: str, role: str, password: str, path: Path | None) -> None:
    """Add an officer (or replace their password and role); the password is stored as Argon2id."""
    target = _officers_path(_region(region), path)
    try:
        OfficerFile(target).add(name, Role(role), password)
    except OfficerError as exc:
        fail(str(exc))
    click.echo(f"officer {name} ({role}) in {target}")


@officers.command("remove")
@click.argument("name")
@click.option("--region", required=True, help="The centre's region.")
@_FILE
def remove(name: str, region: str, path: Path | None) -> None:
    """Remove an officer (open sessions last until they expire; restart the console to end them now)."""
    try:
        removed = OfficerFile(_officers_path(_region(region), path)).remove(name)
    except OfficerError as exc:
        fail(str(exc))
    if not removed:
        fail(f"no officer {name}")
    click.echo(f"removed {name}")


@officers.command("list")
@click.option("--region", required=True, help="The centre's region.")
@_FILE
def list_(region: str, path: Path | None) -> None:
    """List the officers and their roles."""
    for o in _accounts(_officers_path(_region(region), path)).values():
        click.echo(f"{o.name}\t{o.role.value}")
