"""`rax run escalate`: one escalation worker (常态→专项) in the foreground, until SIGTERM or Ctrl-C."""

from __future__ import annotations

from typing import Any

import click
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from ops.cli.common import fail, kafka_options, namespace_option, resolve_kafka
from ops.cli.run_loop import lower_priority, mac_options, run_processor, web_options
from schemas.codec import readable
from streams.escalate.config import EscalateSettings
from streams.escalate.processor import EscalateProcessor
from streams.runtime import ClientFactory, RuntimeSettings

__all__ = ["NICE", "command"]

#: no lower priority by default: measured, it protects the hot path's rate little and costs escalation
#: latency (docs/escalation.md, "Sharing a machine")
NICE = 0


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
@click.option(
    "--nice",
    type=click.IntRange(0, 19),
    default=NICE,
    show_default=True,
    help="Run at this much lower CPU priority (os.nice): beside the hot path on shared cores, deliveries "
    "get the CPU first and escalation catches up after a surge (its lag: rax_runtime_lag_records). "
    "0 keeps the priority.",
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
    nice: int,
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
