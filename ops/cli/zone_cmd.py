"""`rax zone apply|check|explain FILE`: a declarative zone onto a cluster, idempotently, and in words."""

from __future__ import annotations

import click

from ops.cli.common import fail, kafka_options, namespace_option, rax_home, resolve_kafka
from ops.zone import ZoneFileError, apply_zone, load_zone_file, plan_zone
from ops.zone.explain import explain_escalation
from ops.zone.identities import rotate_password
from ops.zone.plan import region_user
from ops.zone.subscriptions import subscription_warnings
from schemas.topics import Catalogue
from schemas.zone import Zone
from streams.runtime import ClientFactory

__all__ = ["command"]


@click.group("zone")
def command() -> None:
    """Zones: member regions, adjacency, agreements, subscriptions."""


def _load(path: str) -> Zone:
    try:
        return load_zone_file(path)
    except ZoneFileError as exc:
        fail(f"zone file rejected, nothing applied:\n{exc}")


@command.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
@namespace_option
def check(path: str, namespace: str) -> None:
    """Validate a zone file and print what applying it would create."""
    zone = _load(path)
    plan = plan_zone(zone, Catalogue(namespace), secure=True)
    click.echo(
        f"zone {zone.name}: {len(zone.regions)} regions, {len(zone.agreements)} agreements, "
        f"{len(zone.subscriptions)} subscriptions"
    )
    click.echo(
        f"  {len(plan.topics)} topics, {len(plan.users)} identities, {len(plan.acls)} ACLs (when secured)"
    )
    for warning in subscription_warnings(zone):
        click.secho(f"  warning: {warning}", fg="yellow")


@command.command("explain")
@click.argument("path", type=click.Path(dir_okay=False))
def explain(path: str) -> None:
    """Validate a zone file and say in words what opens a special operation (its escalation rules)."""
    zone = _load(path)
    click.echo(f"zone {zone.name}: escalation (常态→专项)")
    for line in explain_escalation(zone):
        click.echo(f"  {line}")
    for warning in subscription_warnings(zone):
        click.secho(f"  warning: {warning}", fg="yellow")


@command.command("apply")
@click.argument("path", type=click.Path(dir_okay=False))
@namespace_option
@kafka_options
def apply(
    path: str,
    namespace: str,
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
) -> None:
    """Create every topic of the catalogue for the zone's regions (and, when secured, identities and ACLs)."""
    zone = _load(path)
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    secure = settings.security_protocol.startswith("SASL")
    try:
        report = apply_zone(
            zone,
            settings,
            Catalogue(namespace),
            secure=secure,
            credentials=rax_home() / "credentials" / f"{namespace}.json",
        )
    except Exception as exc:  # KafkaException and friends: a message, not a stack trace
        fail(f"applying zone {zone.name} failed: {exc}")
    click.echo(
        f"zone {zone.name} on {settings.bootstrap_servers}: "
        + (
            "no change"
            if not report.changed
            else f"{len(report.created_topics)} topics created, {len(report.created_users)} identities, "
            f"{report.created_acls} ACLs"
        )
        + f" (zone revision {report.zone_revision}, "
        f"{len(report.existing_topics)} topics already there)"
    )
    for warning in report.warnings:
        click.secho(f"  warning: {warning}", fg="yellow")
    if report.created_users:
        click.echo(f"  passwords of new identities: {rax_home() / 'credentials' / f'{namespace}.json'}")


@command.command("rotate")
@click.argument("identity")
@namespace_option
@kafka_options
def rotate(
    identity: str,
    namespace: str,
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
) -> None:
    """Give an identity (a region code, or rax-processors) a new SCRAM password at once."""
    user = region_user(identity) if identity.isdigit() else identity
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    credentials = rax_home() / "credentials" / f"{namespace}.json"
    try:
        rotate_password(ClientFactory(settings, "rax-zone").admin(), user, credentials)
    except Exception as exc:  # KafkaException: a message, not a stack trace
        fail(f"rotating {user} failed: {exc}")
    click.echo(f"{user}: new password in {credentials}; hand it to the region, old sessions end at re-login")
