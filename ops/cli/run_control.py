"""`rax run control`: one control-app worker (alerts, watchlist, acks, deadlines) in the foreground."""

from __future__ import annotations

from typing import Any

import click
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from ops.cli.common import fail, kafka_options, namespace_option, resolve_kafka
from ops.cli.run_loop import mac_options, run_processor, web_options
from schemas.codec import readable
from streams.control.config import ControlSettings, DeadlinePolicy
from streams.control.processor import ControlProcessor
from streams.runtime import ClientFactory, RuntimeSettings

__all__ = ["command"]


def _rules(values: tuple[str, ...], option: str) -> dict[str, float]:
    rules: dict[str, float] = {}
    for value in values:
        rule, sep, seconds = value.partition("=")
        try:
            rules[rule.strip()] = float(seconds)
        except ValueError:
            sep = ""
        if not sep:
            fail(f"{option} {value!r}: write action:priority=seconds, e.g. intercept:urgent=600")
    return rules


@click.command("control")
@kafka_options
@namespace_option
@click.option("--zone", "zone_name", default=None, help="Zone to serve; default: the one on the zone topic.")
@click.option(
    "--worker-id",
    default="0",
    show_default=True,
    help="Stable id of this worker (names its transactional id and group member); unique per worker.",
)
@web_options
@mac_options
@click.option(
    "--ack-deadline",
    multiple=True,
    help="Acknowledgement deadline, action:priority=seconds (repeatable; '*' matches any; "
    "default intercept:urgent=600 and *=3600).",
)
@click.option(
    "--outcome-deadline",
    multiple=True,
    help="Final-outcome deadline, action:priority=seconds (default intercept:urgent=3600, *=43200).",
)
@click.option("--tick", default=1.0, show_default=True, type=float, help="Seconds between timer checks.")
@click.option(
    "--park-seconds",
    default=30.0,
    show_default=True,
    type=float,
    help="How long an Update/Cancel waits for the message it refers to before it is dead-lettered.",
)
def command(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    namespace: str,
    zone_name: str | None,
    worker_id: str,
    web_host: str,
    web_port: int | None,
    protection: dict[str, Any],
    ack_deadline: tuple[str, ...],
    outcome_deadline: tuple[str, ...],
    tick: float,
    park_seconds: float,
) -> None:
    """Run the control app: alerts with Update/Cancel, watchlist lifecycle, acknowledgements, deadlines."""
    kafka = resolve_kafka(bootstrap, username, password, ssl_ca)
    try:
        defaults = DeadlinePolicy()
        deadlines = DeadlinePolicy(
            acknowledge={**defaults.acknowledge, **_rules(ack_deadline, "--ack-deadline")},
            outcome={**defaults.outcome, **_rules(outcome_deadline, "--outcome-deadline")},
        )
        runtime = RuntimeSettings(
            kafka=kafka,
            namespace=namespace,
            worker_id=worker_id,
            tick_s=tick,
            web_host=web_host,
            web_port=web_port,
            **protection,
        )
        settings = ControlSettings(runtime=runtime, zone=zone_name, deadlines=deadlines, park_s=park_seconds)
    except ValidationError as exc:
        fail("invalid " + readable(exc, "settings").removeprefix("not a valid "))  # no pydantic URL
    registry = CollectorRegistry()
    factory = ClientFactory(kafka, f"rax-control-{worker_id}")
    run_processor(ControlProcessor(settings, factory, registry), runtime, registry)
