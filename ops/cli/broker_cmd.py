"""`rax broker start | stop | status`: a real local Kafka for development, tests and the demo."""

from __future__ import annotations

import click
import orjson

from ops.cli.common import fail, local_cluster
from ops.kafka import BrokerError, KafkaSetupError

__all__ = ["command"]


@click.group("broker")
def command() -> None:
    """Run a local Apache Kafka (KRaft) from Maven Central's jars."""


@command.command("start")
@click.option(
    "--nodes",
    type=click.Choice(["1", "3"]),
    default="1",
    show_default=True,
    help="1: one broker+controller; 3: three nodes, replication 3, min.insync.replicas=2.",
)
@click.option("--secure", is_flag=True, help="SASL/SCRAM-SHA-512 with the StandardAuthorizer (and TLS).")
@click.option("--no-tls", is_flag=True, help="With --secure: SASL_PLAINTEXT instead of SASL_SSL.")
@click.option(
    "--port", type=int, default=9092, show_default=True, help="Client port of node 1 (node n uses port+n-1)."
)
@click.option(
    "--profile",
    type=click.Choice(["quick", "throughput"]),
    default="throughput",
    show_default=True,
    help="JVM settings: quick start-up, or G1 with full JIT for load.",
)
@click.option(
    "--timeout", type=float, default=120.0, show_default=True, help="Seconds to wait for readiness."
)
def start(nodes: str, secure: bool, no_tls: bool, port: int, profile: str, timeout: float) -> None:
    """Start the broker(s) and wait until they answer a metadata request."""
    cluster = local_cluster(profile)
    try:
        state = cluster.start(nodes=int(nodes), secure=secure, tls=not no_tls, port=port, timeout=timeout)
    except (BrokerError, KafkaSetupError) as exc:
        fail(str(exc))
    mode = ("SASL_SSL" if state.tls else "SASL_PLAINTEXT") if state.secure else "PLAINTEXT"
    click.echo(
        f"kafka {state.kafka_version} ready on {state.bootstrap_servers} ({len(state.nodes)} node(s), "
        f"{mode}) in {state.startup_seconds:.1f} s"
    )
    for node in state.nodes:
        click.echo(f"  node {node.node_id}: pid {node.pid}, log {node.log_file}")
    if state.secure:
        click.echo(f"  admin credentials and CA: {cluster.state_file}")


@command.command("stop")
@click.option(
    "--timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds to wait for a controlled shutdown before SIGKILL.",
)
def stop(timeout: float) -> None:
    """Stop the broker(s) this directory started (by pid), cleanly."""
    ended = local_cluster().stop(timeout)
    click.echo(
        f"stopped {len(ended)} broker process(es): {' '.join(map(str, ended))}"
        if ended
        else "no local broker was running"
    )


@command.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def status(as_json: bool) -> None:
    """Show whether the local broker(s) run; exit 1 when not."""
    info = local_cluster().status()
    if as_json:
        click.echo(orjson.dumps(info).decode())
    elif not info["running"] and "nodes" not in info:
        click.echo("no local broker")
    else:
        click.echo(
            f"{'running' if info['running'] else 'NOT running'}: {info['bootstrap_servers']} "
            f"(kafka {info['kafka_version']}, secure={info['secure']})"
        )
        for node in info["nodes"]:  # type: ignore[attr-defined]
            click.echo(f"  node {node['node_id']}: pid {node['pid']} {'alive' if node['alive'] else 'dead'}")
    raise SystemExit(0 if info["running"] else 1)
