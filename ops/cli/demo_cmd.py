"""`rax demo`: the main job — a local broker, a zone (川渝 by default), every processor, simulators and a live
view; who plays what comes from the zone (ops/demo/roles.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import click
from confluent_kafka import Producer
from rich.console import Console
from rich.live import Live

from ops.cli.common import fail, local_cluster, rax_home
from ops.demo.consoles import start_consoles
from ops.demo.escalation import DEMO_RULES, Scenarios, scenarios
from ops.demo.processes import ProcessGroup
from ops.demo.protection import DemoProtection, protect
from ops.demo.requests import request_lines
from ops.demo.roles import DemoRoles, demo_roles, zone_label
from ops.demo.samples import sample_placements
from ops.demo.scorecards import fetch_scorecards, scorecard_lines
from ops.demo.scrape import scrape
from ops.demo.script import Script
from ops.demo.signed import SignedProducer
from ops.demo.view import WANTED, Snapshot, render, summary_lines
from ops.kafka import BrokerError, KafkaSetupError
from ops.zone import apply_zone, load_zone_file
from schemas.codec import encode
from schemas.kafka_settings import KafkaSettings
from schemas.topics import DEFAULT
from schemas.zone import Zone
from streams.runtime import ClientFactory

__all__ = ["command"]

#: ports of /metrics: hot path = base, control app = base + 1, simulators = base + 10 …
METRICS_BASE = 9401


def _broker(port: int) -> tuple[KafkaSettings, bool]:
    cluster = local_cluster("throughput")
    if cluster.status()["running"]:
        click.echo(f"using the running local broker on {cluster.status()['bootstrap_servers']}")
        return cluster.settings(), False
    try:
        state = cluster.start(nodes=1, port=port)
    except (BrokerError, KafkaSetupError) as exc:
        fail(str(exc))
    click.echo(
        f"kafka {state.kafka_version} ready on {state.bootstrap_servers} in {state.startup_seconds:.1f} s"
    )
    return cluster.settings(), True


def _load(path: Path | None) -> Zone:
    """The zone file (default: the packaged 川渝 zone); a 川渝 zone without escalation rules gets the
    demo's (``DEMO_RULES``), which its scenarios are sited for."""
    if path is None:
        with resources.as_file(resources.files("ops").joinpath("zones", "chuanyu.yaml")) as packaged:
            zone = load_zone_file(packaged)
    else:
        zone = load_zone_file(path)
    if zone.escalation is None and zone.name == "chuanyu":
        zone = zone.model_copy(update={"escalation": DEMO_RULES})
    return zone


def _apply(zone: Zone, settings: KafkaSettings) -> None:
    try:
        report = apply_zone(
            zone,
            settings,
            DEFAULT,
            secure=settings.security_protocol.startswith("SASL"),
            credentials=rax_home() / "credentials" / "rax.json",
        )
    except ValueError as exc:  # the running broker already carries another zone in the demo's namespace
        fail(f"{exc}. The demo reuses a running local broker: `./rax broker stop`, then run it again")
    click.echo(
        f"zone {zone.name}: {len(zone.regions)} regions, {len(zone.agreements)} agreements, "
        f"{len(report.created_topics) + len(report.existing_topics)} topics, revision {report.zone_revision}"
    )


def _publish_watchlists(
    settings: KafkaSettings, roles: DemoRoles, scenes: Scenarios, per_region: int, protection: DemoProtection
) -> tuple[list[str], int]:
    """Sends the sample and scenario placements (the blind owners' samples blind); the plates of the
    samples placed in clear (the simulators read them; the script's alerts and request name them: a
    blind entry's plate named there would be on rax.out.* and rax.audit in clear) and how many
    placements were sent."""
    producer = _producer(settings, protection)
    samples = protection.place(
        sample_placements(list(roles.owners), per_region, roles.sources), datetime.now(UTC)
    )
    for cmd in [*samples, *scenes.placements]:
        producer.produce(DEFAULT.in_watchlist(cmd.entry.owner), encode(cmd), cmd.entry.entry_id.encode())
    producer.flush(30)
    sent = len(samples) + len(scenes.placements)
    click.echo(f"{sent} watchlist placements sent")
    return [c.entry.plate for c in samples if c.entry.plate], sent  # a blind entry has no plate


def _ports(base: int, simulators: int) -> tuple[int, int, int, list[int]]:
    """/metrics ports: hot path, control app, escalate processor, simulators."""
    return base, base + 1, base + 2, [base + 10 + i for i in range(simulators)]


def _producer(settings: KafkaSettings, protection: DemoProtection) -> Producer | SignedProducer:
    """The demo's own publisher: authenticated as each region's connectors when the zone is protected."""
    producer = ClientFactory(settings, "rax-demo").producer()
    if protection.keys_dir is None or protection.mac_dir is None:
        return producer
    return SignedProducer(producer, protection.keys_dir, DEFAULT)


def _start(
    group: ProcessGroup,
    settings: KafkaSettings,
    roles: DemoRoles,
    rate: float,
    base: int,
    protection: DemoProtection,
) -> None:
    hotpath_port, control_port, escalate_port, simulator_ports = _ports(base, len(roles.simulated))
    matching, rest_file = protection.matching_file, protection.rest_file
    # a protected zone: own topics sealed at rest, every region's record authenticated (MAC + signature)
    b = ["--bootstrap", settings.bootstrap_servers, *protection.processor_args()]
    rest = ("--rest-key", str(rest_file)) if rest_file is not None else ()
    group.start_rax("control", "run", "control", *b, "--web-port", str(control_port), *rest)
    blind = ("--matching-keys", str(matching)) if matching is not None else ()
    group.start_rax("hotpath", "run", "hotpath", *b, "--metrics-port", str(hotpath_port), *blind, *rest)
    # one machine for everything: escalation yields while the hot path is behind (docs/runtime.md)
    defer = ("--defer-to", "hotpath")
    group.start_rax("escalate", "run", "escalate", *b, "--web-port", str(escalate_port), *defer, *rest)
    b = ["--bootstrap", settings.bootstrap_servers]
    # the evaluation app's web (scorecards, /metrics) on base + 3
    group.start_rax("evaluate", "run", "evaluate", *b, "--web-port", str(base + 3), "--tick", "2", *rest)
    for i, region in enumerate(roles.simulated):
        listed = [arg for kkbh in roles.checkpoints[region] for arg in ("--checkpoints", kkbh)]
        group.start_rax(
            f"simulator-{region}",
            "connector",
            "run",
            "simulator",
            *b,
            "--region",
            region,
            *listed,  # none: the simulator's own border checkpoints of the zone (川渝)
            "--rate",
            str(rate),
            # at the rate the demo states, whatever the hour: at China's rush hours (23-01 and 09-11
            # UTC) the simulators ran 2.5 times faster, and their busier fleets crossing the 粤港澳
            # crossings opened clone operations of their own beside the scripted one
            "--rush-factor",
            "1",
            "--night-factor",
            "1",
            "--seed",
            "1",
            "--block",
            "50",  # small blocks: pass times stay close to when the hits are sent
            "--metrics-port",
            str(simulator_ports[i]),
            "--state-dir",
            str(rax_home() / "demo" / "state" / region),
            *protection.connector_args(region),
        )


@click.command("demo")
@click.option(
    "--duration",
    type=float,
    default=None,
    help="Run this many seconds without the live view, then print a summary and stop.",
)
@click.option("--rate", type=float, default=200.0, show_default=True, help="Hits per second per simulator.")
@click.option("--port", type=int, default=9092, show_default=True, help="Client port of the local broker.")
@click.option(
    "--metrics-port",
    "metrics_base",
    type=int,
    default=METRICS_BASE,
    show_default=True,
    help="First /metrics port: hot path, control app +1, escalate +2, evaluate +3, simulators +10 and up.",
)
@click.option(
    "--watchlist",
    "per_region",
    type=int,
    default=20,
    show_default=True,
    help="Sample watchlist entries per region, on plates the simulators' vehicles carry.",
)
@click.option(
    "--zone",
    "zone_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Zone file to run (e.g. ops/zones/yuegangao.yaml); default: the packaged 川渝 zone. Simulators, "
    "consoles, the request's parties, entries and scenarios are chosen from it.",
)
def command(
    duration: float | None, rate: float, port: int, metrics_base: int, per_region: int, zone_file: Path | None
) -> None:
    """Run the demo exchange on a local broker until Ctrl-C (or --duration); stops all it started."""
    try:
        zone = _load(zone_file)
        roles = demo_roles(zone, datetime.now(UTC))
    except ValueError as exc:  # an invalid zone file, or one without two members agreeing both ways
        fail(str(exc))
    protection = protect(zone, rax_home(), datetime.now(UTC))  # keys, when the zone's agreements seal
    zone = protection.zone
    members = [r.code for r in zone.regions]
    scenes = scenarios(zone.escalation, roles.region_of, members)
    settings, started_broker = _broker(port)
    group = ProcessGroup(rax_home() / "demo" / "logs")
    t0 = time.monotonic()
    try:
        _apply(zone, settings)
        _start(group, settings, roles, rate, metrics_base, protection)
        for line in protection.lines():
            click.echo(line)
        evaluate_web = f"http://127.0.0.1:{metrics_base + 3}"  # the consoles' scorecard pages
        consoles = [(c, roles.names[c]) for c in roles.consoles]
        for line in start_consoles(
            group, settings, rax_home(), consoles, evaluate_web, protection.keys_dir, sign=True
        ):
            click.echo(line)
        plates, placed = _publish_watchlists(settings, roles, scenes, per_region, protection)
        click.echo(
            f"{len(roles.simulated)} simulators ({', '.join(roles.simulated)}) at {rate:.0f} hits/s each; "
            f"scenarios: {', '.join(scenes.names) or 'none (the zone has no escalation rules)'}"
        )
        hotpath_port, control_port, escalate_port, simulator_ports = _ports(
            metrics_base, len(roles.simulated)
        )
        ports = (hotpath_port, control_port, escalate_port, *simulator_ports)
        urls = [f"http://127.0.0.1:{p}/metrics" for p in ports]
        click.echo("metrics: " + "  ".join(urls) + f"\nlogs: {group.log_dir}")
        regions = [(c, roles.names[c]) for c in sorted(members)]
        script = Script(roles, scenes, plates, zone_label(zone), placements=placed)
        snap = _loop(group, urls, regions, duration, t0, script, _producer(settings, protection))
        for line in summary_lines(snap, regions, time.monotonic() - t0):
            click.echo(line)
        click.echo(f"  {script.scenario_line()}")
        for line in scorecard_lines(fetch_scorecards(metrics_base + 3), regions):
            click.echo(line)
        if roles.request is not None:  # the cooperation request's thread (协查)
            for line in request_lines(settings, DEFAULT, roles.request.requester, protection.keys_dir):
                click.echo(line)
    except KeyboardInterrupt:
        pass
    finally:
        killed = group.stop_all()
        click.echo(
            f"stopped {len(group.children)} processes" + (f" (killed: {', '.join(killed)})" if killed else "")
        )
        if started_broker:
            local_cluster().stop()
            click.echo("stopped the local broker")


def _loop(
    group: ProcessGroup,
    urls: list[str],
    regions: list[tuple[str, str]],
    duration: float | None,
    t0: float,
    script: Script,
    producer: Producer | SignedProducer,
) -> Snapshot:
    snap = Snapshot(time.monotonic(), {})
    live = None if duration is not None else Live(console=Console(), refresh_per_second=2)
    if live is not None:
        live.start()
    try:
        while duration is None or time.monotonic() - t0 < duration:
            time.sleep(1.0)
            now = time.monotonic()
            snap = Snapshot(now, scrape(urls, WANTED), snap.samples, now - snap.at)
            if live is not None:
                live.update(render(snap, regions, now - t0, script.label))
            script.tick(now - t0, producer, snap.total("rax_hotpath_watchlist_entries"))
            dead = group.dead()
            if dead:
                tail = dead[0].log.read_text(errors="replace").splitlines()[-15:]
                raise click.ClickException(f"{dead[0].name} stopped:\n" + "\n".join(tail))
    finally:
        if live is not None:
            live.stop()
        producer.flush(5)
    return snap
