"""`rax dlq list | replay`: what went to a dead-letter topic and why, and sending chosen records back."""

from __future__ import annotations

from collections.abc import Callable

import click
import orjson
from click.decorators import FC

from ops.cli.common import fail, kafka_options, resolve_kafka
from ops.dlq import DeadRecord, read_dead_letters, replay
from schemas.topics import DLQ_COMPONENTS, Catalogue

__all__ = ["command"]


def _selector(
    reason: str | None, source_topic: str | None, offsets: tuple[int, ...]
) -> Callable[[DeadRecord], bool]:
    def keep(r: DeadRecord) -> bool:
        if r.letter is None:
            return False
        if reason and r.letter.reason.value != reason:
            return False
        if source_topic and r.letter.source_topic != source_topic:
            return False
        return not offsets or r.offset in offsets

    return keep


def _options(f: FC) -> FC:
    f = click.option("--offset", "offsets", type=int, multiple=True, help="Only these DLQ offsets.")(f)
    f = click.option("--source-topic", default=None, help="Only records that came from this topic.")(f)
    f = click.option("--reason", default=None, help="Only this reason (rax.dlq.reason).")(f)
    f = click.option("--namespace", default="rax", show_default=True, help="Topic namespace.")(f)
    f = click.argument("component", type=click.Choice(DLQ_COMPONENTS))(f)
    return kafka_options(f)


@click.group("dlq")
def command() -> None:
    """Dead letters: list them, replay them after a fix."""


@command.command("list")
@_options
def list_(
    component: str,
    namespace: str,
    reason: str | None,
    source_topic: str | None,
    offsets: tuple[int, ...],
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
) -> None:
    """One JSON object per dead letter: offset, reason, stage, source and error."""
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    for r in read_dead_letters(
        settings, Catalogue(namespace), component, _selector(reason, source_topic, offsets)
    ):
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
def replay_(
    component: str,
    namespace: str,
    reason: str | None,
    source_topic: str | None,
    offsets: tuple[int, ...],
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    yes: bool,
) -> None:
    """Send the chosen dead letters back to their source topics (after the cause was fixed)."""
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    cat = Catalogue(namespace)
    chosen = read_dead_letters(settings, cat, component, _selector(reason, source_topic, offsets))
    if not chosen:
        click.echo("no dead letter matches")
        return
    if not yes and not click.confirm(f"replay {len(chosen)} dead letters of {cat.dlq(component)}?"):
        fail("nothing replayed")
    try:
        sent = replay(settings, cat, component, chosen)
    except (RuntimeError, ValueError) as exc:
        fail(str(exc))
    click.echo(f"replayed {sent} records to their source topics")
