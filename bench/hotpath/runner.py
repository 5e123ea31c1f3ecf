"""One benchmark run end to end: broker and zone, generated load, the three phases, the result."""

from __future__ import annotations

import argparse
import os
import random
import uuid
from importlib.metadata import version
from pathlib import Path
from typing import Any

from confluent_kafka import libversion

from bench.common import machine, stop_process
from bench.hotpath.escalate import Escalator, bench_rules, escalate_catch_up
from bench.hotpath.latency import phase_latency
from bench.hotpath.macs import make_keys
from bench.hotpath.paths import ROOT, ZONE_FILE
from bench.hotpath.procs import Run, Workers, start_py_spy, stop_py_spy
from bench.hotpath.produce import generate
from bench.hotpath.protect import protected_phase
from bench.hotpath.quix import QUIX_ROW, QUIX_SLUG, ensure_venv, phase_peer_latency, quix_args
from bench.hotpath.report import verdicts
from bench.hotpath.throughput import phase_baseline, phase_hotpath
from bench.hotpath.world import World, checkpoints_of
from ops.kafka.cluster import ClusterState, LocalCluster
from ops.zone import apply_zone, load_zone_file
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from schemas.zone import Zone


def run_benchmark(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Starts a broker in ``tmp``, runs every phase against it and stops it; returns the result."""
    rng = random.Random(args.seed)
    cache = Path(os.environ.get("RAX_CACHE", "/tmp/raxcache"))
    if not args.no_quix:  # before the broker starts: pip must not run beside a measurement
        args.peer_python = ensure_venv(cache)
    cluster = LocalCluster(tmp / "kafka", cache_dir=cache, jvm_profile="throughput")
    state = cluster.start(nodes=1)
    run: Run | None = None
    run2: Run | None = None
    try:
        zone = load_zone_file(ZONE_FILE)
        zone = zone.model_copy(
            update={"topics": zone.topics.model_copy(update={"hit_partitions": args.partitions})}
        )
        settings = cluster.settings()
        run, plan, planted_latency = _prepare(args, tmp, state, settings, zone, rng)
        print(
            f"kafka {state.kafka_version} on {run.bootstrap} (up in {state.startup_seconds} s), "
            f"namespace {run.cat.namespace}",
            flush=True,
        )
        result: dict[str, Any] = {"throughput": {}}
        workers = Workers(run)
        print("phase 1: hot path", flush=True)
        result["throughput"]["hot path"] = phase_hotpath(run, workers)
        print(f"  {result['throughput']['hot path']['progress']['rate_per_s']:,.0f} hits/s", flush=True)
        if args.protect:  # right after phase 1: the two rows measured under the same conditions

            def prepare(a: argparse.Namespace, z: Zone, r: random.Random) -> Run:
                return _prepare(a, tmp, state, settings, z, r)[0]

            protected_phase(args, tmp, zone, prepare, result)
        print("phase 2: baselines", flush=True)
        for name, role, extra, cap in (
            ("pass-through", "passthrough", (), args.baseline_seconds),
            ("pass-through + txn", "passthrough", ("--transactions",), args.baseline_seconds),
            ("faust pass-through", "faust", (), args.faust_seconds),
            (QUIX_ROW, "quix", () if args.no_quix else tuple(quix_args(args)), args.baseline_seconds),
        ):
            if (role == "faust" and args.no_faust) or (role == "quix" and args.no_quix):
                continue
            slug = name.replace(" + ", "-").replace(" ", "-")
            result["throughput"][name] = phase_baseline(run, slug, role, *extra, max_seconds=cap)
            print(f"  {name}: {result['throughput'][name]['progress']['rate_per_s']:,.0f} hits/s", flush=True)
        print("phase 3: latency", flush=True)
        result["latency"] = phase_latency(run, workers, plan, planted_latency)
        workers.sample_memory()
        result["throughput"]["hot path"]["peak_rss_mb"] = round(max(m["peak"] for m in workers.memory), 1)
        if not args.no_quix:
            print("phase 3 again: latency of the Quix peer (the hot-path workers stopped)", flush=True)
            for proc in workers.procs:
                stop_process(proc)
            group = f"{run.cat.processor_prefix}bench-{QUIX_SLUG}"
            result["latency quix peer"] = phase_peer_latency(
                run, f"{QUIX_SLUG}-latency", group, plan, planted_latency
            )
        if args.escalate:
            for proc in workers.procs:
                stop_process(proc)
            run2 = _escalate_phases(args, tmp, state, settings, zone, result)
        result["machine"] = machine(
            **{
                "confluent_kafka": version("confluent-kafka"),
                "librdkafka": libversion()[0],
                "faust_streaming": version("faust-streaming"),
                "aiokafka": version("aiokafka"),
                **({} if args.no_quix else {"quixstreams": _quix_version(result)}),
                "kafka": state.kafka_version,
                "broker": f"1 node on this machine, JVM {' '.join(state.jvm[1:])}",
            }
        )
        result["parameters"] = parameters(args)
        result["data"] = data(run)
        result["targets"] = verdicts(result, args)
        return result
    finally:
        for proc in [*(run.children if run else []), *(run2.children if run2 else [])]:
            stop_process(proc)
        cluster.stop()


def _prepare(
    args: argparse.Namespace,
    tmp: Path,
    state: ClusterState,
    settings: KafkaSettings,
    zone: Zone,
    rng: random.Random,
) -> tuple[Run, Path, int]:
    """A fresh namespace with ``zone`` applied and the generated load in it; the run, its plan, planted."""
    cat = Catalogue(f"bench{uuid.uuid4().hex[:6]}")
    apply_zone(zone, settings, cat, secure=False)
    regions = [r.code for r in zone.regions]
    world = World(zone, regions, checkpoints_of(regions))
    if args.mac and not args.mac_keys:
        args.mac_keys = make_keys(tmp, regions)
    run = Run(args, tmp, state.bootstrap_servers, cat, world, state.nodes[0].pid)
    print(f"namespace {cat.namespace}: generating…", flush=True)
    plan = tmp / f"latency-plan-{cat.namespace}.json"
    planted = generate(run, rng, plan)
    print(
        f"  produced {world.entries:,} entries, {world.hits:,} hits "
        f"({world.duplicates:,} duplicates, {world.planted:,} matching) in "
        f"{world.stats['watchlist_produce_s'] + world.stats['hits_produce_s']:.0f} s",
        flush=True,
    )
    return run, plan, planted


def _escalate_phases(
    args: argparse.Namespace,
    tmp: Path,
    state: ClusterState,
    settings: KafkaSettings,
    zone: Zone,
    result: dict[str, Any],
) -> Run:
    """Phases 1 and 3 again, on the same load in a second namespace whose zone has escalation rules,
    with the escalate processor beside the hot path; its figures into ``result``."""
    codes = [r.code for r in zone.regions]
    rules = bench_rules(checkpoints_of(codes), random.Random(args.seed + 1), codes[0])
    with_rules = zone.model_copy(update={"escalation": rules})
    run, plan, planted = _prepare(args, tmp, state, settings, with_rules, random.Random(args.seed))
    workers, escalator = Workers(run), Escalator(run)
    print("phase 1 again: hot path, the escalate processor beside it", flush=True)
    spies: list[Any] = []

    def start_escalate() -> None:
        # only now: started with the hot path's workers, it read ~40 % of the pre-produced hits while
        # they loaded the watchlist, and the two then competed for the cores over less of the window
        escalator.start()
        assert escalator.proc is not None
        spies.append(start_py_spy(run, escalator.proc.pid, "escalate") if args.py_spy else None)

    result["throughput"]["hot path + escalate"] = phase_hotpath(
        run, workers, on_ready=start_escalate, beside=lambda: escalator.total("rax_runtime_records_total")
    )
    spy = spies[0] if spies else None
    rate = result["throughput"]["hot path + escalate"]["progress"]["rate_per_s"]
    print(f"  {rate:,.0f} hits/s", flush=True)
    result["escalate"] = {"rules": rules.cloned_plate.model_dump(mode="json") if rules.cloned_plate else {}}
    result["escalate"]["phase_1"] = escalate_catch_up(run, escalator)
    stop_py_spy(spy)  # the escalate worker through phase 1 and its catch-up: FILE-escalate.*
    print(f"  escalate: {result['escalate']['phase_1']}", flush=True)
    print("phase 3 again: latency, the escalate processor beside the hot path", flush=True)
    latency = phase_latency(run, workers, plan, planted, escalator)
    result["escalate"]["phase_3"] = latency.pop("escalation")
    result["latency with escalate"] = latency
    print(f"  escalate: {result['escalate']['phase_3']}", flush=True)
    return run


def _quix_version(result: dict[str, Any]) -> str:
    """The peer's quixstreams version, as it printed it on start-up."""
    return str(result["throughput"].get(QUIX_ROW, {}).get("peer", {}).get("quixstreams", "?"))


def parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The run's options as the report shows them (paths relative to the repository)."""
    return {
        k: (str(v.relative_to(ROOT) if v.is_relative_to(ROOT) else v) if isinstance(v, Path) else v)
        for k, v in vars(args).items()
        if v is not None and k not in {"role", "transactions", "keep", "peer_python"}
    }


def data(run: Run) -> dict[str, Any]:
    """What was generated, as the report shows it."""
    world = run.world
    return {
        "entries": world.entries,
        "partial_entries": world.partial_entries,
        "hits": world.hits,
        "duplicates_sent": world.duplicates,
        "matching_hits": world.planted,
        "expected_matches": world.planted_matches,
        "chance_matches_redrawn": world.rejected_natural,
        "regions": len(world.regions),
        "checkpoints": len(world.checkpoints),
        "hit_partitions": len(run.hit_partitions),
        **world.stats,
    }
