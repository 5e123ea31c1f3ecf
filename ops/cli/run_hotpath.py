"""`rax run hotpath`: one checkpoint-hit hot-path worker in the foreground, until SIGTERM or Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from ops.cli.common import fail, kafka_options, namespace_option, resolve_kafka
from ops.cli.run_loop import batch_timeout_option, mac_options, run_processor, web_options
from schemas.codec import readable
from streams.hotpath.config import HotpathSettings
from streams.hotpath.processor import HotpathProcessor
from streams.runtime import ClientFactory, RuntimeSettings

__all__ = ["command"]


@click.command("hotpath")
@kafka_options
@namespace_option
@click.option(
    "--worker-id",
    default="0",
    show_default=True,
    help="Stable id of this worker (names its transactional id); unique per running worker.",
)
@click.option("--batch-size", type=int, default=5000, show_default=True, help="Most hits per transaction.")
@batch_timeout_option(
    0.02, "longer means fewer, larger transactions at moderate load and more read-to-delivery latency."
)
@click.option(
    "--dedup-window",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds of pass time within which the same plate at one checkpoint is one pass.",
)
@click.option(
    "--known-window",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds within which a plate read at 2+ checkpoints is a known vehicle whose misread matches "
    "are withheld (streams/hotpath/seen.py); 0: off, every misread match is delivered.",
)
@click.option(
    "--matching-keys",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The zone's matching-key file (rax keys matching create; mode 0600): blind entries match "
    "only under the keys it holds.",
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
    dedup_window: float,
    known_window: float,
    matching_keys: Path | None,
    web_host: str,
    web_port: int | None,
    protection: dict[str, Any],
) -> None:
    """Dedup, match and fan out every region's checkpoint hits, exactly once."""
    try:
        runtime = RuntimeSettings(
            kafka=resolve_kafka(bootstrap, username, password, ssl_ca),
            namespace=namespace,
            worker_id=worker_id,
            batch_size=batch_size,
            batch_timeout_s=batch_timeout,
            max_input_bytes=64 * 1024,
            web_host=web_host,
            web_port=web_port,
            **protection,
        )
        settings = HotpathSettings(
            runtime=runtime,
            dedup_window_s=dedup_window,
            known_window_s=known_window,
            matching_keys=matching_keys,
        )
    except ValidationError as exc:
        fail("invalid " + readable(exc, "settings").removeprefix("not a valid "))  # no pydantic URL
    if matching_keys is not None and runtime.rest_key is None:
        # blind matches are deduplicated like any other: without --rest-key their plates reach the dedup
        # changelog in clear, and with them which plates are on the owners' watchlists
        click.echo(
            "warning: --matching-keys without --rest-key: the plates of blind matches are written in clear "
            "to the dedup changelog; give the processors' key file (docs/threat-model.md)",
            err=True,
        )
    registry = CollectorRegistry()
    factory = ClientFactory(runtime.kafka, f"rax-hotpath-{worker_id}")
    run_processor(HotpathProcessor(settings, factory, registry), runtime, registry)
