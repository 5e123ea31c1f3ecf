"""`rax run hotpath`: one checkpoint-hit hot-path worker in the foreground, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading

import click
from prometheus_client import CollectorRegistry, start_http_server

from ops.cli.common import fail, kafka_options, resolve_kafka
from streams.hotpath.config import HotpathSettings
from streams.hotpath.worker import HotpathWorker

__all__ = ["command"]

log = logging.getLogger(__name__)


@click.command("hotpath")
@kafka_options
@click.option("--namespace", default="rax", show_default=True, help="Topic namespace of the exchange.")
@click.option(
    "--worker-id",
    default="0",
    show_default=True,
    help="Stable id of this worker (names its transactional id); unique per running worker.",
)
@click.option("--batch-size", type=int, default=5000, show_default=True, help="Most hits per transaction.")
@click.option(
    "--dedup-window",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds of pass time within which the same plate at one checkpoint is one pass.",
)
@click.option("--metrics-port", type=int, default=None, help="Serve Prometheus /metrics on this port.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address of /metrics.")
def command(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    namespace: str,
    worker_id: str,
    batch_size: int,
    dedup_window: float,
    metrics_port: int | None,
    metrics_host: str,
) -> None:
    """Dedup, match and fan out every region's checkpoint hits, exactly once."""
    settings = HotpathSettings(
        kafka=resolve_kafka(bootstrap, username, password, ssl_ca),
        namespace=namespace,
        worker_id=worker_id,
        batch_size=batch_size,
        dedup_window_s=dedup_window,
        metrics_port=metrics_port,
    )
    registry = CollectorRegistry()
    if metrics_port is not None:
        start_http_server(metrics_port, addr=metrics_host, registry=registry)
        click.echo(f"metrics on http://{metrics_host}:{metrics_port}/metrics", err=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = HotpathWorker(settings, registry)
    try:
        worker.run(stop)
    except (RuntimeError, TimeoutError) as exc:
        fail(str(exc))
