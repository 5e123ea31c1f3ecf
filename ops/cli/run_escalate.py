"""`rax run escalate`: one escalation worker (常态→专项) in the foreground, until SIGTERM or Ctrl-C."""

from __future__ import annotations

from typing import Any

import click
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from ops.cli.common import fail, kafka_options, namespace_option, resolve_kafka
from ops.cli.run_loop import batch_timeout_option, lower_priority, mac_options, run_processor, web_options
from schemas.codec import readable
from streams.escalate.config import EscalateSettings
from streams.escalate.processor import EscalateProcessor
from streams.runtime import ClientFactory, RuntimeSettings

__all__ = ["BATCH_TIMEOUT_S", "NICE", "command"]

#: no lower priority by default: measured, it protects the hot path's rate little and costs escalation
#: latency (docs/escalation.md, "Sharing a machine")
NICE = 0
#: read-to-escalation may take a second (issue 14), read-to-delivery a quarter (issue 12): the escalate
#: worker waits up to 0.1 s for a batch, the hot path 0.02 s
BATCH_TIMEOUT_S = 0.1


@click.command("escalate")
@kafka_options
@namespace_option
@click.option(
    "--worker-id",
    default="0",
    show_default=True,
    help="Stable id of this worker (names its transactional id); unique per running worker.",
)
@click.option("--batch-size", type=int, default=2000, show_default=True, help="Most records per transaction.")
@batch_timeout_option(
    BATCH_TIMEOUT_S,
    "five times the hot path's, as an escalation may take a second where a delivery has a quarter of one; "
    "fewer transactions cost the worker and the brokers less per read.",
)
@click.option(
    "--nice",
    type=click.IntRange(0, 19),
    default=NICE,
    show_default=True,
    help="Run at this much lower CPU priority (os.nice): beside the hot path on shared cores, deliveries "
    "get the CPU first and escalation catches up after a surge (its lag: rax_runtime_lag_records). "
    "0 keeps the priority.",
)
@click.option(
    "--defer-to",
    type=click.Choice(["hotpath"]),
    default=None,
    help="On cores shared with the hot path: pause while its group is more than --defer-lag records behind "
    "(a surge), so that escalation takes no CPU from deliveries then; every read is still escalated, after "
    "(at most --defer-max seconds later). Off by default.",
)
@click.option("--defer-lag", type=click.IntRange(0), default=20_000, show_default=True, help="see --defer-to")
@click.option(
    "--defer-max",
    type=click.FloatRange(1, 3600),
    default=300.0,
    show_default=True,
    help="Longest one deferral lasts, seconds, whatever the hot path's lag.",
)
@web_options
@mac_options
def command(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    namespace: str,
    worker_id: str,
    batch_size: int,
    batch_timeout: float,
    nice: int,
    defer_to: str | None,
    defer_lag: int,
    defer_max: float,
    web_host: str,
    web_port: int | None,
    protection: dict[str, Any],
) -> None:
    """Open special operations from every region's reads and matches, by the zone's escalation rules."""
    if nice:
        lower_priority(nice)
    try:
        runtime = RuntimeSettings(
            kafka=resolve_kafka(bootstrap, username, password, ssl_ca),
            namespace=namespace,
            worker_id=worker_id,
            batch_size=batch_size,
            batch_timeout_s=batch_timeout,
            defer_to=defer_to,
            defer_lag=defer_lag,
            defer_max_s=defer_max,
            max_input_bytes=256 * 1024,
            web_host=web_host,
            web_port=web_port,
            **protection,
        )
        settings = EscalateSettings(runtime=runtime)
    except ValidationError as exc:
        fail("invalid " + readable(exc, "settings").removeprefix("not a valid "))  # no pydantic URL
    registry = CollectorRegistry()
    factory = ClientFactory(runtime.kafka, f"rax-escalate-{worker_id}")
    run_processor(EscalateProcessor(settings, factory, registry), runtime, registry)
