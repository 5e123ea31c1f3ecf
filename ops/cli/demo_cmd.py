"""`rax demo`: the main job — a local broker with the 川渝 example zone applied; processors join it."""

from __future__ import annotations

from importlib import resources

import click

from ops.cli.common import fail, local_cluster, rax_home
from ops.kafka import BrokerError, KafkaSetupError
from ops.zone import apply_zone, load_zone_file
from schemas.topics import DEFAULT

__all__ = ["command"]


@click.command("demo")
@click.option("--port", type=int, default=9092, show_default=True, help="Client port of the local broker.")
def command(port: int) -> None:
    """Start a local Kafka (or reuse the running one) and apply the example zone ops/zones/chuanyu.yaml."""
    cluster = local_cluster("throughput")
    status = cluster.status()
    if status["running"]:
        click.echo(f"using the running local broker on {status['bootstrap_servers']}")
    else:
        try:
            state = cluster.start(nodes=1, port=port)
        except (BrokerError, KafkaSetupError) as exc:
            fail(str(exc))
        click.echo(
            f"kafka {state.kafka_version} ready on {state.bootstrap_servers} in {state.startup_seconds:.1f} s"
        )
    zone_file = resources.files("ops").joinpath("zones", "chuanyu.yaml")
    with resources.as_file(zone_file) as path:
        zone = load_zone_file(path)
    settings = cluster.settings()
    report = apply_zone(
        zone,
        settings,
        DEFAULT,
        secure=settings.security_protocol.startswith("SASL"),
        credentials=rax_home() / "credentials" / "rax.json",
    )
    click.echo(
        f"zone {zone.name}: {len(zone.regions)} regions, {len(zone.agreements)} agreements, "
        f"{len(report.created_topics) + len(report.existing_topics)} topics "
        f"({len(report.created_topics)} new), zone revision {report.zone_revision}"
    )
    for region in sorted(zone.regions, key=lambda r: r.code):
        click.echo(
            f"  {region.code} {region.name or ''}: publishes to {DEFAULT.region_in_prefix(region.code)}*, "
            f"reads {DEFAULT.out(region.code)}"
        )
    click.echo("stop the broker with `./rax broker stop`")
