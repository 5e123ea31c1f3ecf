"""``--escalate``: the escalate processor beside the hot path, its rules, and cloned plates to find.

The zone gets escalation rules: every benchmark checkpoint sited in a 400 × 300 km box, the cloned-plate
rule with its defaults (each vehicle read at two checkpoints), and multi-region (two regions within an
hour). One ``rax run escalate`` worker runs through phases 1 and 3, so every hit the hot path reads is
read by it too (the clone rule is evaluated on every read). In phase 3 a thread publishes cloned-plate
scenarios (four reads of a fresh plate: two sited checkpoints in the west, two 300 km east, the last read
passing now), and the latency phase times each operation delivered for them: the delivery's broker
timestamp minus its last evidence read's pass time.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import metric_total, percentiles, proc_cpu_seconds, scrape, thread_cpu_seconds
from bench.hotpath.clients import make_producer
from bench.hotpath.procs import Run
from bench.hotpath.records import hit_record
from bench.hotpath.world import scenario_plate
from ops.kafka.ports import free_port
from schemas.escalation import CheckpointSite, ClonedPlateRule, EscalationRules, MultiRegionRule

__all__ = ["CloneThread", "Escalator", "bench_rules", "clone_scenarios", "escalate_catch_up"]

#: the injected scenarios' checkpoints: two pairs ~300 km apart, each pair ~6 km across
_WEST = (("W1", 30.66, 104.07), ("W2", 30.70, 104.12))
_EAST = (("E1", 29.56, 106.55), ("E2", 29.60, 106.50))


def _scenario_id(region: str, name: str) -> str:
    return f"{region}-ESC-{name}"


def bench_rules(checkpoints: list[tuple[str, str]], rng: random.Random, region: str) -> EscalationRules:
    """The benchmark's rules: every checkpoint sited at random, plus the scenario checkpoints."""
    sites = [
        CheckpointSite(checkpoint_id=cp, lat=28.5 + rng.random() * 2.7, lon=103.0 + rng.random() * 4.2)
        for _, cp in checkpoints
    ]
    sites += [
        CheckpointSite(checkpoint_id=_scenario_id(region, name), lat=lat, lon=lon)
        for name, lat, lon in (*_WEST, *_EAST)
    ]
    return EscalationRules(
        multi_region=MultiRegionRule(min_regions=2, window_s=3600),
        cloned_plate=ClonedPlateRule(),
        checkpoints=tuple(sites),
    )


def clone_scenarios(
    run: Run, region: str, per_second: float, stop: threading.Event, plates: list[str]
) -> None:
    """Publishes cloned-plate scenarios until ``stop``, appending their plates to ``plates``."""
    producer = make_producer(run.bootstrap, run.args.input_compression, None, {"linger.ms": 5})
    topic, n = run.cat.in_hits(region), 0
    while not stop.wait(1 / per_second):
        n += 1
        plate = scenario_plate(n)
        plates.append(plate)
        now = datetime.now(UTC)
        order = (_WEST[0], _EAST[0], _WEST[1], _EAST[1])
        for i, (name, _, _) in enumerate(order):
            t = now - timedelta(seconds=30 * (3 - i))
            value = hit_record(str(uuid.uuid4()), region, _scenario_id(region, name), plate, "blue", t, 0.9)
            producer.produce(topic, value, plate.encode())
        producer.poll(0)
    producer.flush(30)


class Escalator:
    """One ``rax run escalate`` worker and its /metrics."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [sys.executable, "-m", "ops.cli", "-v", "run", "escalate", "--bootstrap", self.run.bootstrap]
        cmd += ["--namespace", self.run.cat.namespace, "--worker-id", "bench-e0"]
        cmd += ["--web-port", str(self.port), "--nice", str(self.run.args.escalate_nice)]
        if self.run.args.escalate_defer:
            cmd += ["--defer-to", "hotpath"]
        self.proc = self.run.spawn("escalate", cmd)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def total(self, name: str, **labels: str) -> float:
        try:
            return metric_total(scrape(f"http://127.0.0.1:{self.port}/metrics"), name, **labels)
        except OSError:
            return 0.0

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.proc.pid) if self.proc is not None else 0.0

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"the escalate worker exited:\n{self.run.log_tail('escalate')}")
            try:
                scrape(f"http://127.0.0.1:{self.port}/metrics")
                return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError("the escalate worker served no /metrics")


def escalate_catch_up(run: Run, escalator: Escalator) -> dict[str, float]:
    """After phase 1: how long the escalate worker needed to read every hit and match, and its CPU."""
    started = time.monotonic()
    deadline = started + run.args.stage_timeout
    while time.monotonic() < deadline:
        lag = escalator.total("rax_runtime_lag_records")
        read = escalator.total("rax_runtime_records_total")
        if read >= run.world.hits and lag == 0:
            break
        if not escalator.alive():
            raise RuntimeError(f"the escalate worker died:\n{run.log_tail('escalate')}")
        time.sleep(0.5)
    cpu = escalator.cpu_seconds()
    read = escalator.total("rax_runtime_records_total")
    threads = thread_cpu_seconds(escalator.proc.pid) if escalator.proc is not None else {}
    return {
        "seconds_behind_the_hot_path": round(time.monotonic() - started, 1),
        "records_read": read,
        "cpu_seconds": round(cpu, 1),
        "cpu_us_per_hit": round(cpu / max(run.world.hits, 1) * 1e6, 1),
        "operations": escalator.total("rax_escalate_operations_total"),
        # since the worker started (its start-up is a small part): where the CPU goes, by thread
        "cpu_us_per_hit_by_thread": {
            name: round(t / max(run.world.hits, 1) * 1e6, 1) for name, t in sorted(threads.items()) if t > 0
        },
    }


class CloneThread:
    """Cloned-plate scenarios published in the background through the latency phase (2 per second)."""

    PER_SECOND = 2.0

    def __init__(self, run: Run, escalator: Escalator) -> None:
        self.run, self.escalator = run, escalator
        self.region = run.world.regions[0]
        self._stop = threading.Event()
        self.plates: list[str] = []
        self.cpu0, self.hits0 = escalator.cpu_seconds(), escalator.total("rax_runtime_records_total")
        self.t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="clone-scenarios", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        clone_scenarios(self.run, self.region, self.PER_SECOND, self._stop, self.plates)

    def stop(self) -> None:
        self._stop.set()

    def missing(self, seen: dict[str, tuple[float, float]]) -> list[str]:
        """The plates of the scenarios sent whose operation has not been received yet."""
        return [p for p in list(self.plates) if p not in seen]

    def result(self, seen: dict[str, tuple[float, float]]) -> dict[str, Any]:
        """Read-to-escalation of every scenario (ms), how many were found, the worker's CPU share."""
        self.stop()
        self._thread.join(60)
        sent = set(self.plates)
        by_plate = {plate: (got - passed) * 1000 for plate, (passed, got) in seen.items() if plate in sent}
        ms = list(by_plate.values())
        slowest = sorted(by_plate.items(), key=lambda kv: -kv[1])[:3]
        busy = (self.escalator.cpu_seconds() - self.cpu0) / max(time.monotonic() - self.t0, 1e-9)
        return {
            "scenarios_sent": len(self.plates),
            "operations_received": len(ms),
            "read_to_escalation_ms": {k: round(v, 1) for k, v in percentiles(ms, (50, 99)).items()},
            # which scenarios, to find in the workers' logs (--keep)
            "slowest_ms": {plate: round(v, 1) for plate, v in slowest},
            "missing": self.missing(seen),
            "records_read": self.escalator.total("rax_runtime_records_total") - self.hits0,
            "escalate_cpu_utilisation": round(busy, 3),
        }
