"""`rax demo`: the main job — a local broker, the 川渝 zone, every processor, simulators and a live view."""

from __future__ import annotations

import random
import time
from importlib import resources

import click
from rich.console import Console
from rich.live import Live

from ops.cli.common import fail, local_cluster, rax_home
from ops.demo.consoles import start_consoles
from ops.demo.escalation import DEMO_RULES, demo_placements, scenario_reads
from ops.demo.processes import ProcessGroup
from ops.demo.requests import demo_answers, demo_request, request_lines
from ops.demo.samples import sample_alert, sample_placements
from ops.demo.scorecards import fetch_scorecards, scorecard_lines
from ops.demo.scrape import scrape
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
SIMULATED = ("510000", "500000", "500153", "510521")  # both provinces' sides, and the joint-office counties


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


def _zone(settings: KafkaSettings) -> Zone:
    with resources.as_file(resources.files("ops").joinpath("zones", "chuanyu.yaml")) as path:
        zone = load_zone_file(path).model_copy(update={"escalation": DEMO_RULES})
    report = apply_zone(
        zone,
        settings,
        DEFAULT,
        secure=settings.security_protocol.startswith("SASL"),
        credentials=rax_home() / "credentials" / "rax.json",
    )
    click.echo(
        f"zone {zone.name}: {len(zone.regions)} regions, {len(zone.agreements)} agreements, "
        f"{len(report.created_topics) + len(report.existing_topics)} topics, revision {report.zone_revision}"
    )
    return zone


def _publish_watchlists(settings: KafkaSettings, zone: Zone, per_region: int) -> int:
    producer = ClientFactory(settings, "rax-demo").producer()
    commands = [*sample_placements(sorted(zone.codes), per_region), *demo_placements()]
    for cmd in commands:
        producer.produce(DEFAULT.in_watchlist(cmd.entry.owner), encode(cmd), cmd.entry.entry_id.encode())
    producer.flush(30)
    return len(commands)


def _ports(base: int) -> tuple[int, int, int, list[int]]:
    """/metrics ports: hot path, control app, escalate processor, simulators."""
    return base, base + 1, base + 2, [base + 10 + i for i in range(len(SIMULATED))]


def _start(group: ProcessGroup, settings: KafkaSettings, rate: float, base: int) -> None:
    hotpath_port, control_port, escalate_port, simulator_ports = _ports(base)
    b = ["--bootstrap", settings.bootstrap_servers]
    group.start_rax("control", "run", "control", *b, "--web-port", str(control_port))
    group.start_rax("hotpath", "run", "hotpath", *b, "--metrics-port", str(hotpath_port))
    group.start_rax("escalate", "run", "escalate", *b, "--web-port", str(escalate_port))
    # the evaluation app's web (scorecards, /metrics) on base + 3
    group.start_rax("evaluate", "run", "evaluate", *b, "--web-port", str(base + 3), "--tick", "2")
    for i, region in enumerate(SIMULATED):
        group.start_rax(
            f"simulator-{region}",
            "connector",
            "run",
            "simulator",
            *b,
            "--region",
            region,
            "--rate",
            str(rate),
            "--seed",
            "1",
            "--block",
            "50",  # small blocks: pass times stay close to when the hits are sent
            "--metrics-port",
            str(simulator_ports[i]),
            "--state-dir",
            str(rax_home() / "demo" / "state" / region),
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
def command(duration: float | None, rate: float, port: int, metrics_base: int, per_region: int) -> None:
    """Run the demo exchange on a local broker until Ctrl-C (or --duration); stops all it started."""
    settings, started_broker = _broker(port)
    group = ProcessGroup(rax_home() / "demo" / "logs")
    t0 = time.monotonic()
    try:
        zone = _zone(settings)
        _start(group, settings, rate, metrics_base)
        evaluate_web = f"http://127.0.0.1:{metrics_base + 3}"  # the consoles' scorecard pages
        for line in start_consoles(group, settings, rax_home(), evaluate_web):  # two regions' web consoles
            click.echo(line)
        n = _publish_watchlists(settings, zone, per_region)
        click.echo(f"{n} watchlist placements sent; {len(SIMULATED)} simulators at {rate:.0f} hits/s each")
        hotpath_port, control_port, escalate_port, simulator_ports = _ports(metrics_base)
        ports = (hotpath_port, control_port, escalate_port, *simulator_ports)
        urls = [f"http://127.0.0.1:{p}/metrics" for p in ports]
        click.echo("metrics: " + "  ".join(urls) + f"\nlogs: {group.log_dir}")
        regions = [(r.code, r.name or "") for r in sorted(zone.regions, key=lambda r: r.code)]
        snap = _loop(group, settings, urls, regions, duration, t0)
        for line in summary_lines(snap, regions, time.monotonic() - t0):
            click.echo(line)
        for line in scorecard_lines(fetch_scorecards(metrics_base + 3), regions):
            click.echo(line)
        for line in request_lines(settings, DEFAULT):  # the cooperation request's thread (协查)
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
    settings: KafkaSettings,
    urls: list[str],
    regions: list[tuple[str, str]],
    duration: float | None,
    t0: float,
) -> Snapshot:
    producer = ClientFactory(settings, "rax-demo").producer()
    rng = random.Random(7)
    plates = [c.entry.plate for c in sample_placements([r for r, _ in regions], 1) if c.entry.plate]
    snap = Snapshot(time.monotonic(), {})
    live = None if duration is not None else Live(console=Console(), refresh_per_second=2)
    if live is not None:
        live.start()
    alerts = 0
    scenario_sent = False
    request = None  # the cooperation request, sent at 15 s; answered at 25 s
    answered = False
    try:
        while duration is None or time.monotonic() - t0 < duration:
            time.sleep(1.0)
            now = time.monotonic()
            snap = Snapshot(now, scrape(urls, WANTED), snap.samples, now - snap.at)
            if live is not None:
                live.update(render(snap, regions, now - t0))
            if not scenario_sent and now - t0 >= 10:  # the entries are in force: two operations open
                scenario_sent = True
                for region, hit in scenario_reads():
                    producer.produce(DEFAULT.in_hits(region), encode(hit), hit.plate.encode())
                producer.poll(0)
            if request is None and now - t0 >= 15:
                request = demo_request(plates[0])
                producer.produce(
                    DEFAULT.in_requests(request.requester), encode(request), request.request_id.encode()
                )
            if request is not None and not answered and now - t0 >= 25:
                answered = True
                for reply in demo_answers(request):
                    producer.produce(
                        DEFAULT.in_requests(reply.region), encode(reply), reply.request_id.encode()
                    )
            if int(now - t0) // 20 > alerts:  # an alert every 20 s, from a random region
                alerts += 1
                sender = rng.choice(regions)[0]
                alert = sample_alert(sender, alerts, rng.choice(plates))
                producer.produce(DEFAULT.in_alerts(sender), encode(alert), alert.identifier.encode())
                producer.poll(0)
            dead = group.dead()
            if dead:
                tail = dead[0].log.read_text(errors="replace").splitlines()[-15:]
                raise click.ClickException(f"{dead[0].name} stopped:\n" + "\n".join(tail))
    finally:
        if live is not None:
            live.stop()
        producer.flush(5)
    return snap
