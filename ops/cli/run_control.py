"""`rax run control`: the control app (alerts, watchlist lifecycle, acks and deadlines) in the foreground."""

from __future__ import annotations

import logging

import click

from ops.cli.common import fail, kafka_options, resolve_kafka

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
@click.option("--namespace", default="rax", show_default=True, help="Topic namespace of the exchange.")
@click.option("--zone", "zone_name", default=None, help="Zone to serve; default: the one on the zone topic.")
@click.option(
    "--web-host", default="127.0.0.1", show_default=True, help="Address of /metrics, /health, /ready."
)
@click.option("--web-port", default=6066, show_default=True, type=int, help="Port of the web endpoints.")
@click.option(
    "--replication", default=3, show_default=True, type=int, help="Replication of the app's topics."
)
@click.option("--partitions", default=3, show_default=True, type=int, help="Partitions of the app's topics.")
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
@click.option("--tick", default=1.0, show_default=True, type=float, help="Seconds between deadline checks.")
@click.option("--retry-delay", default=1.0, show_default=True, type=float, help="Seconds before a retry.")
@click.option(
    "--stall-seconds",
    default=60.0,
    show_default=True,
    type=float,
    help="Exit (code 75) when input waits this long.",
)
@click.option("--log-level", default="warning", show_default=True, help="faust worker log level.")
def command(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    namespace: str,
    zone_name: str | None,
    web_host: str,
    web_port: int,
    replication: int,
    partitions: int,
    ack_deadline: tuple[str, ...],
    outcome_deadline: tuple[str, ...],
    tick: float,
    retry_delay: float,
    stall_seconds: float,
    log_level: str,
) -> None:
    """Run the control app: alerts with Update/Cancel, watchlist lifecycle, acknowledgements, deadlines."""
    from pydantic import ValidationError

    from streams.control.config import ControlSettings, DeadlinePolicy
    from streams.control.worker.run import run

    kafka = resolve_kafka(bootstrap, username, password, ssl_ca)
    try:
        defaults = DeadlinePolicy()
        deadlines = DeadlinePolicy(
            acknowledge={**defaults.acknowledge, **_rules(ack_deadline, "--ack-deadline")},
            outcome={**defaults.outcome, **_rules(outcome_deadline, "--outcome-deadline")},
        )
        settings = ControlSettings(
            kafka=kafka,
            namespace=namespace,
            zone=zone_name,
            web_host=web_host,
            web_port=web_port,
            replication_factor=replication,
            internal_partitions=partitions,
            deadlines=deadlines,
            tick_seconds=tick,
            retry_seconds=retry_delay,
            stall_seconds=stall_seconds,
        )
    except ValidationError as exc:
        fail(f"invalid settings: {exc}")
    logging.getLogger("streams.control").setLevel(logging.INFO)
    run(settings, loglevel=log_level)
