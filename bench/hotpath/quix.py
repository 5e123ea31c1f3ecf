"""The Quix Streams peer (``bench/peers/quix``): its virtual environment, its config, its latency phase."""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.common import GroupProgress, percentiles, proc_cpu_seconds, stop_process
from bench.hotpath.latency import out_reader, pacer_lines
from bench.hotpath.paths import ROOT, ZONE_FILE
from bench.hotpath.procs import Run
from bench.peers.quix.config import PeerConfig
from ops.zone import load_zone_file
from schemas.plates.lookalikes import LOOKALIKE_CLASSES, PROVINCE_CLASS
from schemas.recipients import decide_recipients
from schemas.topics import Catalogue
from schemas.vocab import Category
from streams.hotpath.config import HotpathSettings

#: the peer's row in the report, and its name in logs, group and data dir
QUIX_ROW, QUIX_SLUG = "quix peer", "quix-peer"
REQUIREMENTS = ROOT / "bench" / "peers" / "quix" / "requirements.txt"
#: the hot path's default dedup window: the peer uses the same
DEDUP_WINDOW_S: float = HotpathSettings.model_fields["dedup_window_s"].default


def ensure_venv(cache: Path) -> Path:
    """The peer venv's python under ``cache/quix-venv``, made (``venv`` + ``pip install -r``) on first use
    and again when ``requirements.txt`` changes; never RAX's own environment."""
    venv = cache / "quix-venv"
    python = venv / "bin" / "python"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    stamp = venv / "requirements.sha256"
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    print(f"  making the Quix Streams peer's venv in {venv} (once)…", flush=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # pip must not see RAX's tree
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, env=env)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True, env=env)
    stamp.write_text(digest)
    return python


def recipients_table(regions: list[str]) -> dict[str, list[str]]:
    """``owner|category|hit region`` -> the regions the hot path delivers such a match to, from the zone."""
    zone, now = load_zone_file(ZONE_FILE), datetime.now(UTC)
    return {
        f"{owner}|{c.value}|{hit}": [
            d.recipient for d in decide_recipients(zone, owner, c, hit, now) if d.disclosed
        ]
        for owner in regions
        for c in Category
        for hit in regions
    }


def peer_config(args: argparse.Namespace) -> PeerConfig:
    """The peer's config for this run (the role writes it before it becomes the peer)."""
    cat, regions = Catalogue(args.namespace), args.regions.split(",")
    return PeerConfig(
        bootstrap=args.bootstrap,
        consumer_group=args.group,
        transactional_id=f"{args.group}-0",
        hits_topics=tuple(cat.in_hits(r) for r in regions),
        watchlist_topic=cat.watchlist,
        out_topics={r: cat.out(r) for r in regions},
        lookalike_classes=(*LOOKALIKE_CLASSES, PROVINCE_CLASS),
        recipients=recipients_table(regions),
        dedup_window_s=DEDUP_WINDOW_S,
        commit_interval=args.quix_commit_interval,
        state_dir=str(Path(args.data_dir) / "state"),
    )


def exec_peer(args: argparse.Namespace) -> None:
    """Writes the config and becomes the peer (exec: same pid, so its CPU and VmHWM are measured)."""
    data = Path(args.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    config = data / "peer.json"
    peer_config(args).write(config)
    python = args.peer_python
    sys.stdout.flush()
    os.execv(python, [python, "-m", "bench.peers.quix", "--config", str(config)])


def peer_lines(run: Run, name: str) -> dict[str, Any]:
    """The peer's JSON lines in its log, merged: ``ready`` (entries, version), ``peer`` (its tally)."""
    path = run.tmp / f"{name}.log"
    out: dict[str, Any] = {}
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        if line.startswith('{"ready"') or line.startswith('{"peer"'):
            out.update(orjson.loads(line))
    return out


def phase_peer_latency(run: Run, name: str, group: str, plan: Path, planted: int) -> dict[str, Any]:
    """Phase 3 for the peer: it catches up, then paced hits as for the hot path (whose workers are
    stopped first); read-to-delivery latency seen by a read_committed reader of every out topic."""
    args = run.args
    role_args = ["--group", group, "--regions", ",".join(run.world.regions), *quix_args(args)]
    proc = run.role(name, "quix", *role_args, "--data-dir", str(run.tmp / f"{QUIX_SLUG}-data"))
    watch = GroupProgress(run.bootstrap, group, run.hit_partitions)
    try:
        ends = sum(watch.consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in run.hit_partitions)
        deadline = time.monotonic() + args.stage_timeout
        while watch() < ends:  # the paced hits of the hot path's phase 3 are still to be read
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Quix peer did not catch up:\n{run.log_tail(name)}")
            time.sleep(0.25)
        reader = out_reader(run)
        pacer = run.role("pacer-quix", "pacer", "--plan", str(plan), "--latency-rate", str(args.latency_rate))
        sent = int(args.latency_rate * (args.latency_warmup + args.latency_seconds))
        seen: list[tuple[float, float]] = []
        measure_from: float | None = None
        cpu0: tuple[float, float] | None = None
        caught_up: float | None = None
        while time.monotonic() < deadline + args.latency_warmup + args.latency_seconds:
            msgs = reader.consume(1000, 0.005)
            received = time.time()
            for m in msgs:
                doc = orjson.loads(m.value() or b"{}") if m.error() is None else {}
                if doc.get("match"):
                    seen.append((datetime.fromisoformat(doc["match"]["pass_time"]).timestamp(), received))
            now = time.monotonic()
            if measure_from is None and (
                started := [x for x in pacer_lines(run, "pacer-quix") if "started" in x]
            ):
                measure_from = started[0]["started"] + args.latency_warmup
            if cpu0 is None and measure_from is not None and received >= measure_from:
                cpu0 = (proc_cpu_seconds(proc.pid), now)
            if caught_up is None and pacer.poll() is not None and watch() >= ends + sent:
                caught_up = now
            if caught_up is not None and not msgs and now - caught_up > 2.0:
                break
            if proc.poll() is not None:
                raise RuntimeError(f"the Quix peer died in the latency phase:\n{run.log_tail(name)}")
        reader.close()
        c0, t0 = cpu0 or (0.0, time.monotonic())
        busy = (proc_cpu_seconds(proc.pid) - c0) / max(time.monotonic() - t0, 1e-9)
    finally:
        stop_process(proc)
        watch.close()
    stats = [x for x in pacer_lines(run, "pacer-quix") if "sent" in x]
    pacer_stats = stats[-1] if stats else {}
    start = measure_from if measure_from is not None else 0.0
    latencies = [(got - passed) * 1000 for passed, got in seen if passed >= start]
    return {
        "offered_rate": args.latency_rate,
        "commit_interval_s": args.quix_commit_interval,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "seconds": args.latency_seconds,
        "warmup_seconds": args.latency_warmup,
        "achieved_rate": round(pacer_stats.get("sent", 0) / max(pacer_stats.get("seconds", 1e-9), 1e-9), 1),
        "matching_hits_planted": planted,
        "deliveries_received": len(latencies),
        "read_to_delivery_ms": {k: round(v, 2) for k, v in percentiles(latencies, (50, 99)).items()},
        "peer_cpu_utilisation": round(busy, 3),
        "peer": peer_lines(run, name),
    }


def quix_args(args: argparse.Namespace) -> list[str]:
    """The role's own options: the venv's python and the commit interval."""
    return ["--peer-python", str(args.peer_python), "--quix-commit-interval", str(args.quix_commit_interval)]
