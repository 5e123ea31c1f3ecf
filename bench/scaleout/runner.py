"""One scale-out run: 1, 2, 4 workers on one broker, the join / leave pauses, the bare group protocol,
then 2 workers on a three-node cluster."""

from __future__ import annotations

import argparse
import copy
import os
import random
import uuid
from importlib.metadata import version
from pathlib import Path
from typing import Any

from confluent_kafka import libversion

from bench.common import machine, stop_process
from bench.hotpath.paths import ZONE_FILE
from bench.hotpath.procs import Run, Workers
from bench.hotpath.runner import _prepare as prepare
from bench.scaleout.mechanics import VARIANTS, create_topic, measure_variant
from bench.scaleout.pauses import Event, phase_pauses
from bench.scaleout.throughput import phase_throughput
from ops.kafka.cluster import LocalCluster
from ops.zone import load_zone_file
from schemas.zone import Zone

__all__ = ["run_scaleout"]

#: one worker running; a second joins, leaves (SIGTERM), joins again and is killed (SIGKILL)
ONE_NODE_EVENTS = [Event("join", 1, 15), Event("leave", 1, 22), Event("join", 1, 15), Event("kill", 1, 35)]
#: two workers running (the throughput phase's); the second leaves, joins again and is killed
THREE_NODE_EVENTS = [Event("leave", 1, 22), Event("join", 1, 15), Event("kill", 1, 35)]


def _paced_seconds(events: list[Event]) -> float:
    """How long the paced plan must last: warm-up, every settle, a watchlist load per join, a margin."""
    return 15 + sum(e.settle + (30 if e.kind == "join" else 0) for e in events) + 15


def _cluster(args: argparse.Namespace, tmp: Path, name: str) -> LocalCluster:
    cache = Path(os.environ.get("RAX_CACHE", "/tmp/raxcache"))
    return LocalCluster(tmp / name, cache_dir=cache, jvm_profile="throughput")


def _namespace(
    args: argparse.Namespace, tmp: Path, cluster: LocalCluster, zone: Zone, workers: int, paced_s: float
) -> tuple[Run, str]:
    """A fresh namespace (logs in a temp dir of its own) with the same load in it, and its paced plan."""
    hp = copy.copy(args.hotpath)
    hp.workers = workers
    hp.latency_rate, hp.latency_warmup, hp.latency_seconds = args.pace, 0, max(1.0, paced_s)
    sub = tmp / f"ns-{uuid.uuid4().hex[:6]}"
    sub.mkdir()
    state = cluster.load_state()
    assert state is not None
    run, plan, _ = prepare(hp, sub, state, cluster.settings(), zone, random.Random(args.seed))
    return run, str(plan)


def _stop(run: Run | None) -> None:
    for proc in run.children if run else []:
        stop_process(proc)


def _throughputs(
    args: argparse.Namespace,
    tmp: Path,
    cluster: LocalCluster,
    zone: Zone,
    counts: list[int],
    result: dict[str, Any],
) -> None:
    """Each worker count on a fresh namespace; the pause phase on the first (one worker) before it stops."""
    for n in counts:
        paced = _paced_seconds(ONE_NODE_EVENTS) + args.soak if n == 1 and args.pauses else 1.0
        run, plan = _namespace(args, tmp, cluster, zone, n, paced)
        try:
            print(f"throughput: {n} worker(s)", flush=True)
            workers = Workers(run)
            result["throughput"].append({"cluster": "1 node", **phase_throughput(run, workers)})
            print(f"  {result['throughput'][-1]['progress']['rate_per_s']:,.0f} hits/s", flush=True)
            if n == 1 and args.pauses:
                print(f"pauses: 1 node, paced {args.pace:,.0f} hits/s", flush=True)
                result["pauses"]["1 node"] = phase_pauses(
                    run, workers, plan, args.pace, ONE_NODE_EVENTS, warmup=15.0 + args.soak
                )
        finally:
            _stop(run)


def run_scaleout(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Starts its brokers in ``tmp``, runs every phase and stops them; returns the result."""
    zone = load_zone_file(ZONE_FILE)
    zone = zone.model_copy(
        update={"topics": zone.topics.model_copy(update={"hit_partitions": args.partitions})}
    )
    result: dict[str, Any] = {"throughput": [], "pauses": {}, "mechanics": {}}
    cluster = _cluster(args, tmp, "kafka1")
    state = cluster.start(nodes=1)
    print(
        f"kafka {state.kafka_version} on {state.bootstrap_servers} (1 node, up in {state.startup_seconds} s)"
    )
    try:
        _throughputs(args, tmp, cluster, zone, args.workers, result)
        if args.mechanics:
            print("group protocol alone (bare consumers, no processing)", flush=True)
            topic = f"bench-mechanics-{uuid.uuid4().hex[:6]}"
            create_topic(cluster.settings(), topic, args.partitions * len(zone.regions))
            for name in VARIANTS:
                got = measure_variant(cluster.settings(), topic, name, args.partitions * len(zone.regions))
                result["mechanics"][name] = got
                print(f"  {name}: {got.get('join')} / {got.get('leave')}", flush=True)
    finally:
        cluster.stop()
    if args.three_nodes:
        cluster3 = _cluster(args, tmp, "kafka3")
        state3 = cluster3.start(nodes=3)
        print(f"kafka on {state3.bootstrap_servers} (3 nodes, up in {state3.startup_seconds} s)", flush=True)
        run: Run | None = None
        try:
            run, plan = _namespace(args, tmp, cluster3, zone, 2, _paced_seconds(THREE_NODE_EVENTS))
            print("throughput: 2 workers, 3 nodes", flush=True)
            workers = Workers(run)
            result["throughput"].append({"cluster": "3 nodes", **phase_throughput(run, workers)})
            print(f"  {result['throughput'][-1]['progress']['rate_per_s']:,.0f} hits/s", flush=True)
            if args.pauses:
                print(f"pauses: 3 nodes, paced {args.pace:,.0f} hits/s", flush=True)
                result["pauses"]["3 nodes"] = phase_pauses(run, workers, plan, args.pace, THREE_NODE_EVENTS)
        finally:
            _stop(run)
            cluster3.stop()
    result["machine"] = machine(
        confluent_kafka=version("confluent-kafka"),
        librdkafka=libversion()[0],
        kafka=state.kafka_version,
        broker=f"on this machine, JVM {' '.join(state.jvm[1:])}",
    )
    result["parameters"] = {
        "entries": args.entries,
        "hits": args.hits,
        "partitions": args.partitions * len(zone.regions),
        "workers": args.workers,
        "pace": args.pace,
        "runtime": "session.timeout.ms 10000, static membership (group.instance.id), cooperative-sticky, "
        "librdkafka default heartbeat.interval.ms 3000",
    }
    return result
