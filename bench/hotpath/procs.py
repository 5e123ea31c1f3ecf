"""A run's context and its child processes: the hot-path workers, the role subprocesses and py-spy."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import TopicPartition

from bench.common import Samples, metric_buckets, metric_total, proc_memory_mb, scrape
from bench.hotpath.paths import ENTRY, ROOT
from bench.hotpath.world import World
from ops.kafka.ports import free_port
from schemas.topics import Catalogue


@dataclass
class Run:
    """The broker, namespace and child processes of one benchmark run."""

    args: argparse.Namespace
    tmp: Path
    bootstrap: str
    cat: Catalogue
    world: World
    broker_pid: int
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def hit_partitions(self) -> list[TopicPartition]:
        return [
            TopicPartition(self.cat.in_hits(r), p)
            for r in self.world.regions
            for p in range(self.args.partitions)
        ]

    def spawn(self, name: str, cmd: list[str]) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("wb")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.children.append(proc)
        return proc

    def role(self, name: str, role: str, *extra: str) -> subprocess.Popen[bytes]:
        """Runs the entry point again as ``--role role`` (see ``bench.hotpath.roles``)."""
        cmd = [sys.executable, str(ENTRY), "--role", role, "--bootstrap", self.bootstrap]
        cmd += ["--namespace", self.cat.namespace, "--batch-size", str(self.args.batch_size)]
        cmd += ["--input-compression", self.args.input_compression, *extra]
        if self.args.mac_keys:
            cmd += ["--mac-keys", str(self.args.mac_keys)]
        return self.spawn(name, cmd)

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.tmp / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class Workers:
    """The hot-path worker subprocesses and their /metrics."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.procs: list[subprocess.Popen[bytes]] = []
        self.ports: list[int] = []
        self.memory: list[dict[str, float]] = []

    def start(self) -> None:
        for i in range(self.run.args.workers):
            self.start_one(i)

    def start_one(self, i: int, log_name: str | None = None) -> subprocess.Popen[bytes]:
        """Starts worker ``bench-<i>`` (log ``hotpath-<i>.log`` unless ``log_name``); returns its process."""
        port = free_port()
        cmd = [sys.executable, "-m", "ops.cli", "-v", "run", "hotpath", "--bootstrap", self.run.bootstrap]
        cmd += ["--namespace", self.run.cat.namespace, "--worker-id", f"bench-{i}"]
        cmd += ["--batch-size", str(self.run.args.batch_size), "--metrics-port", str(port)]
        cmd += ["--batch-timeout", str(self.run.args.batch_timeout)]
        if self.run.args.mac_keys:
            cmd += ["--mac", "required", "--mac-keys", str(self.run.args.mac_keys)]
        if self.run.args.matching_keys:  # blind entries (bench.hotpath.protect)
            cmd += ["--matching-keys", str(self.run.args.matching_keys)]
        proc = self.run.spawn(log_name or f"hotpath-{i}", cmd)
        self.procs.append(proc)
        self.ports.append(port)
        self.memory.append({})
        return proc

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def metrics(self) -> list[Samples]:
        out = []
        for port in self.ports:
            try:
                out.append(scrape(f"http://127.0.0.1:{port}/metrics"))
            except OSError:
                out.append({})
        return out

    def total(self, name: str, **labels: str) -> float:
        return sum(metric_total(m, name, **labels) for m in self.metrics())

    def hist(self, name: str) -> dict[float, float]:
        out: dict[float, float] = {}
        for m in self.metrics():
            for bound, v in metric_buckets(m, name).items():
                out[bound] = out.get(bound, 0.0) + v
        return out

    def sample_memory(self) -> None:
        for i, p in enumerate(self.procs):
            now = proc_memory_mb(p.pid)
            if now:
                self.memory[i]["peak"] = max(self.memory[i].get("peak", 0.0), now.get("peak", 0.0))
                self.memory[i]["rss"] = now.get("rss", 0.0)

    def wait_ready(self, entries: int, timeout: float) -> list[dict[str, float]]:
        """Waits until every worker holds ``entries``; per worker: load seconds and memory at that point."""
        started, ready = time.monotonic(), [dict[str, float]() for _ in self.procs]
        while any(not r for r in ready):
            if not self.alive():
                raise RuntimeError(
                    f"a hot-path worker exited while loading:\n{self.run.log_tail('hotpath-0')}"
                )
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"the workers did not load {entries} entries in {timeout:.0f} s")
            for i, m in enumerate(self.metrics()):
                if not ready[i] and metric_total(m, "rax_hotpath_watchlist_entries") >= entries:
                    mem = proc_memory_mb(self.procs[i].pid)
                    ready[i] = {
                        "load_seconds": round(time.monotonic() - started, 2),
                        "rss_mb_loaded": round(mem.get("rss", 0.0), 1),
                        "peak_mb_during_load": round(mem.get("peak", 0.0), 1),
                        "hits_already_processed": metric_total(m, "rax_hotpath_hits_total"),
                    }
            time.sleep(0.1)
        return ready


def start_py_spy(run: Run, pid: int, phase: str) -> subprocess.Popen[bytes]:
    """py-spy sampling worker 0 in a phase (``--py-spy out.svg``: flame graphs ``out-<phase>.svg``)."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out = run.args.py_spy.with_name(f"{run.args.py_spy.stem}-{phase}{run.args.py_spy.suffix}")
    fmt = "flamegraph" if out.suffix == ".svg" else "speedscope" if out.suffix == ".json" else "raw"
    cmd = [exe, "record", "--pid", str(pid), "--rate", "200", "--nonblocking", "--idle", "--format", fmt]
    return run.spawn(f"py-spy-{phase}", [*cmd, "--output", str(out)])


def stop_py_spy(spy: subprocess.Popen[bytes] | None) -> None:
    """Stops a py-spy started by ``start_py_spy`` and waits for it to write its profile."""
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
        spy.wait(60)
