"""`rax dlq list | replay`: what went to a dead-letter topic and why; replay chosen ones as their region."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
import orjson
from click.decorators import FC

from ops.cli.common import fail, kafka_options, namespace_option, rax_home, resolve_kafka
from ops.dlq import DeadRecord, ReplayRefused, read_dead_letters, replay
from ops.zone.plan import region_user
from schemas.dlq import DlqReason
from schemas.kafka_settings import KafkaSettings
from schemas.topics import DLQ_COMPONENTS, REGION_DLQ_COMPONENTS, Catalogue

__all__ = ["command"]


def _selector(
    reason: str | None, source_topic: str | None, offsets: tuple[int, ...], partition: int | None = None
) -> Callable[[DeadRecord], bool]:
    def keep(r: DeadRecord) -> bool:
        if r.letter is None:
            return False
        if reason and r.letter.reason.value != reason:
            return False
        if source_topic and r.letter.source_topic != source_topic:
            return False
        if partition is not None and r.partition != partition:
            return False
        return not offsets or r.offset in offsets

    return keep


def _options(f: FC) -> FC:
    f = click.option(
        "--partition", type=int, default=None, help="Only this DLQ partition (with --offset: one record)."
    )(f)
    f = click.option("--offset", "offsets", type=int, multiple=True, help="Only these DLQ offsets.")(f)
    f = click.option("--source-topic", default=None, help="Only records that came from this topic.")(f)
    f = click.option(
        "--reason",
        type=click.Choice([r.value for r in DlqReason]),
        default=None,
        help="Only this reason (rax.dlq.reason).",
    )(f)
    f = namespace_option(f)
    f = click.option(
        "--region",
        default=None,
        help=f"The region whose dead letters to read (required for {' and '.join(REGION_DLQ_COMPONENTS)}).",
    )(f)
    f = click.argument("component", type=click.Choice(DLQ_COMPONENTS))(f)
    return kafka_options(f)


def _topic(cat: Catalogue, component: str, region: str | None) -> str:
    if component in REGION_DLQ_COMPONENTS and region is None:
        fail(f"{component} dead letters are kept per region: say which with --region <code>")
    if component not in REGION_DLQ_COMPONENTS and region is not None:
        fail(f"{component} has one dead-letter topic for the zone: drop --region")
    try:
        return cat.dlq(component, region)
    except ValueError as exc:
        fail(str(exc))


def _identities(settings: KafkaSettings, credentials: Path) -> Callable[[str], KafkaSettings | None]:
    """Each region's own settings from the zone's credentials file; on a broker without SASL, anonymous."""
    if settings.username is None:
        return lambda _region: settings  # no identities, no ACLs: the development broker
    try:
        passwords = dict(orjson.loads(credentials.read_bytes()))
    except (OSError, orjson.JSONDecodeError, TypeError, ValueError) as exc:
        fail(f"cannot read the identities' credentials in {credentials}: {exc}")

    def region_settings(region: str) -> KafkaSettings | None:
        password = passwords.get(region_user(region))
        return settings.as_user(region_user(region), password) if password else None

    return region_settings


@click.group("dlq")
def command() -> None:
    """Dead letters: list them, replay them after a fix."""


@command.command("list")
@_options
def list_(
    component: str,
    region: str | None,
    namespace: str,
    reason: str | None,
    source_topic: str | None,
    offsets: tuple[int, ...],
    partition: int | None,
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
) -> None:
    """One JSON object per dead letter: offset, reason, stage, source and error."""
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    cat = Catalogue(namespace)
    topic = _topic(cat, component, region)
    try:
        records = read_dead_letters(settings, cat, topic, _selector(reason, source_topic, offsets, partition))
    except RuntimeError as exc:
        fail(str(exc))
    for r in records:
        assert r.letter is not None
        click.echo(
            orjson.dumps(
                {
                    "partition": r.partition,
                    "offset": r.offset,
                    "reason": r.letter.reason.value,
                    "stage": r.letter.stage.value,
                    "source": f"{r.letter.source_topic}[{r.letter.source_partition}]"
                    f"@{r.letter.source_offset}",
                    "error": r.letter.error,
                    "time": r.letter.time.isoformat(),
                }
            ).decode()
        )


@command.command("replay")
@_options
@click.option("--yes", is_flag=True, help="Replay without asking.")
@click.option(
    "--credentials",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The zone's identities (from `rax zone apply`); default $RAX_HOME/credentials/<namespace>.json.",
)
def replay_(
    component: str,
    region: str | None,
    namespace: str,
    reason: str | None,
    source_topic: str | None,
    offsets: tuple[int, ...],
    partition: int | None,
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    yes: bool,
    credentials: Path | None,
) -> None:
    """Replay the chosen dead letters to their region's inputs, as that region, once the cause is fixed.

    Only a topic `rax.in.<region>.*` of the region the record came from is a target; anything else is
    refused and nothing is sent. Each record is written with that region's own identity, and every replay
    (and refusal) is recorded on the audit topic.
    """
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    cat = Catalogue(namespace)
    topic = _topic(cat, component, region)
    identities = _identities(settings, credentials or rax_home() / "credentials" / f"{namespace}.json")
    try:
        chosen = read_dead_letters(settings, cat, topic, _selector(reason, source_topic, offsets, partition))
    except RuntimeError as exc:
        fail(str(exc))
    if not chosen:
        click.echo("no dead letter matches")
        return
    if not yes and not click.confirm(f"replay {len(chosen)} dead letters of {topic}?"):
        fail("nothing replayed")
    try:
        sent = replay(settings, cat, topic, chosen, identities)
    except (ReplayRefused, RuntimeError) as exc:
        fail(str(exc))
    click.echo(
        f"replayed {sent} records to their regions' input topics, each as its region; audited on {cat.audit}"
    )
