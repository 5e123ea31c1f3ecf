"""`rax ops list | show | close | agree`: special operations (专项) delivered to a region; the owner closes
one, or gives its members a temporary agreement."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from ops.centre import KnownOperation, close_operation, read_operations
from ops.centre.operations import AgreementTerms, agree_operation
from ops.cli.common import (
    authentication_options,
    fail,
    kafka_options,
    keys_option,
    namespace_option,
    resolve_kafka,
    seal_keys,
)
from schemas.kafka_settings import KafkaSettings
from schemas.operation import OperationOutcome
from schemas.regions import UnknownRegion, check_region
from schemas.sharing import RedactField
from schemas.topics import Catalogue
from schemas.vocab import Category

__all__ = ["command"]


def _region(code: str) -> str:
    try:
        return check_region(code)
    except UnknownRegion as exc:
        fail(str(exc))


def _known(
    settings: KafkaSettings, cat: Catalogue, region: str, keys: str | None
) -> dict[str, KnownOperation]:
    """The region's operations, sealed ones opened with its keys; those that do not open are named."""
    unopened: list[str] = []
    try:
        known = read_operations(settings, cat, region, keys=seal_keys(keys, region), unopened=unopened)
    except (RuntimeError, TimeoutError) as exc:
        fail(str(exc))
    for why in unopened:
        click.echo(f"not shown, sealed: {why}", err=True)
    return known


#: the longest temporary agreement asked for: a year (an operation expires after 30 days by default, and
#: the processor refuses one outliving its operation)
MAX_HOURS = 366 * 24.0


def _hours(hours: float) -> float:
    """``--hours`` if an agreement may last that long: after now (one ending at once or before is only
    dead-lettered by the processor, which the region never reads), finite and within ``MAX_HOURS``."""
    if not 0 < hours <= MAX_HOURS:  # NaN too
        raise click.BadParameter(f"{hours:g}: must be more than 0 and at most {MAX_HOURS:g}")
    return hours


@click.group("ops")
def command() -> None:
    """Special operations (专项) opened by escalations, as delivered to a region (`rax.out.<region>`)."""


@command.command("list")
@kafka_options
@click.option("--region", required=True, help="The region whose deliveries are read (GB/T 2260 code).")
@click.option(
    "--status",
    type=click.Choice(["all", "open", "closed"]),
    default="all",
    show_default=True,
    help="Which operations.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per operation.")
@namespace_option
@keys_option
def list_(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    region: str,
    status: str,
    as_json: bool,
    namespace: str,
    keys: str | None,
) -> None:
    """The operations delivered to REGION that its out topic still holds (7 days), oldest first."""
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    known = _known(settings, Catalogue(namespace), _region(region), keys)
    rows = sorted(known.values(), key=lambda k: k.operation.opened_at)
    if status != "all":
        rows = [k for k in rows if (k.closure is None) == (status == "open")]
    for k in rows:
        s = k.summary()
        if as_json:
            click.echo(orjson.dumps(s).decode())
        else:
            click.echo(
                f"{s['operation']}  {s['opened_at']}  {s['trigger']:<12}  {s['plate']:<10}  "
                f"{s['priority']:<6}  owner {s['owner']}  {','.join(s['regions'])}  {s['status']}"
            )
    if not as_json:
        click.echo(f"{len(rows)} operation(s)", err=True)


@command.command("show")
@kafka_options
@click.argument("operation_id")
@click.option("--region", required=True, help="The region whose deliveries are read (GB/T 2260 code).")
@namespace_option
@keys_option
def show(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    operation_id: str,
    region: str,
    namespace: str,
    keys: str | None,
) -> None:
    """One operation as delivered to REGION: trigger, evidence reads in order, regions, and its end."""
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    known = _known(settings, Catalogue(namespace), _region(region), keys).get(operation_id)
    if known is None:
        fail(f"operation {operation_id} was not delivered to {region} (or left its out topic's retention)")
    click.echo(orjson.dumps(known.detail(), option=orjson.OPT_INDENT_2).decode())


@command.command("close")
@kafka_options
@click.argument("operation_id")
@click.option("--region", required=True, help="The owner region, which closes it (publishes as it).")
@click.option(
    "--outcome",
    type=click.Choice([o.value for o in OperationOutcome]),
    required=True,
    help="What the escalation turned out to be.",
)
@click.option("--note", default=None, help="Why, for the operation's regions.")
@click.option("--operator", default=None, help="Police number of the officer closing it.")
@click.option(
    "--no-check",
    is_flag=True,
    help="Send without first reading the region's out topic for the operation (owner, still open).",
)
@namespace_option
@keys_option
@authentication_options
def close(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    operation_id: str,
    region: str,
    outcome: str,
    note: str | None,
    operator: str | None,
    no_check: bool,
    namespace: str,
    keys: str | None,
    mac_key: Path | None,
    sign_keys: Path | None,
) -> None:
    """Close an operation REGION owns with an outcome; the escalate processor tells its regions.

    The processor decides: only the owner's command closes it, once; a refused command is dead-lettered
    to `rax.dlq.escalate` (an operator's `rax dlq list` shows why).
    """
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    cat, region = Catalogue(namespace), _region(region)
    if not no_check:
        _check_owned_and_open(settings, cat, region, operation_id, "close", keys)
    try:
        cmd = close_operation(
            settings, cat, region, operation_id, OperationOutcome(outcome), note, operator, mac_key, sign_keys
        )
    except (RuntimeError, ValueError) as exc:
        fail(str(exc))
    click.echo(f"close of {operation_id} as {outcome} sent (command {cmd.close_id})")


def _check_owned_and_open(
    settings: KafkaSettings, cat: Catalogue, region: str, operation_id: str, verb: str, keys: str | None
) -> None:
    """Fails unless ``region``'s deliveries show ``operation_id`` as its own and still open."""
    known = _known(settings, cat, region, keys).get(operation_id)
    if known is None:
        fail(f"operation {operation_id} was not delivered to {region}; --no-check to send anyway")
    if known.operation.owner != region:
        fail(f"operation {operation_id} is owned by {known.operation.owner}: only it may {verb} it")
    if known.closure is not None:
        fail(f"operation {operation_id} is {known.status} already")


@command.command("agree")
@kafka_options
@click.argument("operation_id")
@click.option("--region", required=True, help="The owner region, which issues it (publishes as it).")
@click.option(
    "--category",
    "categories",
    multiple=True,
    required=True,
    type=click.Choice([c.value for c in Category]),
    help="A category of REGION's entries whose matches flow to the members (repeat for more).",
)
@click.option(
    "--unredact",
    multiple=True,
    type=click.Choice([f.value for f in RedactField]),
    help="A field the standing agreements redact that the members get under it (repeat for more).",
)
@click.option("--purpose", required=True, help="A purpose every member's agreement with REGION lists.")
@click.option("--basis", "legal_basis", required=True, help="The legal basis it rests on (audited).")
@click.option(
    "--hours",
    type=float,
    default=72,
    show_default=True,
    callback=lambda _ctx, _param, hours: _hours(hours),
    help=f"How long it lasts at most (more than 0, at most {MAX_HOURS:g}).",
)
@click.option("--operator", default=None, help="Police number of the officer issuing it.")
@click.option("--no-check", is_flag=True, help="Send without first reading the region's out topic.")
@namespace_option
@keys_option
@authentication_options
def agree(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    operation_id: str,
    region: str,
    categories: tuple[str, ...],
    unredact: tuple[str, ...],
    purpose: str,
    legal_basis: str,
    hours: float,
    operator: str | None,
    no_check: bool,
    namespace: str,
    keys: str | None,
    mac_key: Path | None,
    sign_keys: Path | None,
) -> None:
    """Give the members of an operation REGION owns a temporary agreement (broader categories, fewer
    redactions) until it expires or the operation is closed; the escalate processor decides it."""
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    cat, region = Catalogue(namespace), _region(region)
    if not no_check:
        _check_owned_and_open(settings, cat, region, operation_id, "agree for", keys)
    terms = AgreementTerms(
        tuple(Category(c) for c in categories),
        tuple(RedactField(f) for f in unredact),
        purpose,
        legal_basis,
        hours,
    )
    try:
        cmd = agree_operation(settings, cat, region, operation_id, terms, operator, mac_key, sign_keys)
    except (RuntimeError, ValueError) as exc:
        fail(str(exc))
    click.echo(
        f"temporary agreement {cmd.agreement_id} for {operation_id} sent, until {cmd.expires_at.isoformat()}"
    )
