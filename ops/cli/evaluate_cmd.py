"""`rax evaluate rebuild`: recompute every scorecard from the start of the input topics and republish it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from ops.cli.common import fail, kafka_options, namespace_option, resolve_kafka

__all__ = ["command", "parse_since", "since_option"]


def parse_since(value: str | None) -> datetime:
    """``--since``: an ISO time (UTC if it names no zone), or the default: 8 days ago, on the hour."""
    if value is None:
        now = datetime.now(UTC) - timedelta(days=8)
        return now.replace(minute=0, second=0, microsecond=0)
    try:
        t = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO time: {value}") from exc
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def since_option(f: click.decorators.FC) -> click.decorators.FC:
    """--since: the events the scorecards count start here (the app and a rebuild must agree)."""
    return click.option(
        "--since",
        default=None,
        help="Count events from this ISO time (default: 8 days ago, on the hour). A rebuild that should "
        "reproduce a running app's scorecards takes the same value.",
    )(f)


@click.group("evaluate")
def command() -> None:
    """The evaluation app's scorecards (监测评价): rebuild them from the start of the topics."""


@command.command("rebuild")
@kafka_options
@namespace_option
@since_option
@click.option("--dry-run", is_flag=True, help="Recompute and print the count, publish nothing.")
def rebuild(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    namespace: str,
    since: str | None,
    dry_run: bool,
) -> None:
    """Recompute every scorecard from the start of the input topics and republish it to rax.scorecards."""
    from schemas.topics import Catalogue
    from streams.evaluate.replay import publish_all, replay
    from streams.runtime import ClientFactory

    cat = Catalogue(namespace)
    factory = ClientFactory(resolve_kafka(bootstrap, username, password, ssl_ca), "rax-evaluate-rebuild")
    try:
        replayed = replay(factory, cat, parse_since(since).timestamp())
        written = 0 if dry_run else publish_all(factory, cat, replayed)
    except (TimeoutError, RuntimeError) as exc:
        fail(str(exc))
    click.echo(
        f"read {replayed.records} records ({replayed.rejected} refused), "
        f"{len(replayed.publisher.known())} scorecards, {written} written to {cat.scorecards}"
    )
