"""`rax run evaluate`: the evaluation app (faust-streaming) in the foreground, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import click
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from ops.cli.common import fail, kafka_options, namespace_option, resolve_kafka
from ops.cli.evaluate_cmd import parse_since, since_option
from ops.cli.run_loop import web_options
from ops.kafka.ports import free_port
from schemas.codec import readable

__all__ = ["command"]


@click.command("evaluate")
@kafka_options
@namespace_option
@since_option
@click.option("--tick", type=float, default=5.0, show_default=True, help="Seconds between publishing passes.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="faust's data directory (default: a fresh temporary one; nothing in it is kept across runs).",
)
@click.option(
    "--rest-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The processors' at-rest key file (`rax keys rest create`): needed when rax.matches is sealed.",
)
@web_options
def command(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    namespace: str,
    since: str | None,
    tick: float,
    data_dir: Path | None,
    rest_key: Path | None,
    web_host: str,
    web_port: int | None,
) -> None:
    """Score every region per hour, day and week: acks, outcomes, checkpoints, freshness (rax.scorecards)."""
    from schemas.topics import Catalogue
    from streams.evaluate.app import build_app, run
    from streams.evaluate.config import EvaluateSettings
    from streams.evaluate.inputs import existing_inputs
    from streams.runtime import ClientFactory

    kafka = resolve_kafka(bootstrap, username, password, ssl_ca)
    try:
        settings = EvaluateSettings(
            kafka=kafka,
            namespace=namespace,
            since=parse_since(since),
            run_id=uuid.uuid4().hex[:12],
            tick_s=tick,
            web_host=web_host,
            web_port=6066 if web_port is None else web_port or free_port(),
            data_dir=data_dir or Path(tempfile.mkdtemp(prefix="rax-evaluate-")),
            rest_key=rest_key,
        )
    except ValidationError as exc:
        fail("invalid " + readable(exc, "settings").removeprefix("not a valid "))  # no pydantic URL
    inputs = existing_inputs(ClientFactory(kafka, "rax-evaluate"), Catalogue(namespace))
    if not inputs:
        fail(f"no input topics of namespace {namespace}: apply the zone first (`rax zone apply`)")
    click.echo(f"evaluate: {len(inputs)} input topics; web on http://{settings.web_host}:{settings.web_port}")
    run(build_app(settings, inputs, CollectorRegistry()))
