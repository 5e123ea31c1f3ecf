"""Workers joining and leaving under a paced load: each partition's pause and the restores behind it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import orjson

from bench.common import metric_total, percentiles, stop_process
from bench.hotpath.procs import Run, Workers
from bench.scaleout.group import owners
from bench.scaleout.offsets import CommitSampler, PartitionGap
from bench.scaleout.timeline import failures, read_events, restores

__all__ = ["Event", "phase_pauses"]


@dataclass(frozen=True)
class Event:
    """A change of the group: ``join`` (start worker ``bench-<worker>``), ``leave`` (SIGTERM) or ``kill``
    (SIGKILL), then ``settle`` seconds of paced load before the next one."""

    kind: str
    worker: int
    settle: float


def _stats(gaps: list[PartitionGap]) -> dict[str, Any]:
    p = percentiles([g.seconds for g in gaps], (50, 99))
    return {k: round(v, 3) if k != "count" else v for k, v in p.items()}


class _Group:
    """The running workers of the phase by index, and every log they wrote."""

    def __init__(self, run: Run, workers: Workers) -> None:
        self.run = run
        self.procs: dict[int, tuple[subprocess.Popen[bytes], int, str]] = {}  # index -> proc, port, log
        for i, (proc, port) in enumerate(zip(workers.procs, workers.ports, strict=True)):
            self.procs[i] = (proc, port, f"hotpath-{i}")
        self.logs = {f"hotpath-{i}": f"bench-{i}" for i in self.procs}
        self.consumed: dict[str, float] = {}  # log name -> input records it consumed (last scrape)

    def scrape(self) -> None:
        for proc, port, log in self.procs.values():
            if proc.poll() is None:
                one = Workers(self.run)
                one.ports = [port]
                self.consumed[log] = metric_total(one.metrics()[0], "rax_runtime_records_total")

    def join(self, i: int, label: str) -> float:
        """Starts ``bench-<i>``; returns the wall time it finished loading (it joins the group then)."""
        one = Workers(self.run)
        log = f"hotpath-{i}-{label}"
        proc = one.start_one(i, log)
        self.procs[i] = (proc, one.ports[0], log)
        self.logs[log] = f"bench-{i}"
        one.wait_ready(self.run.world.entries, self.run.args.stage_timeout)
        return time.time()

    def stop(self, i: int, sig: signal.Signals) -> float:
        self.scrape()
        proc = self.procs[i][0]
        at = time.time()
        if sig == signal.SIGKILL:
            proc.kill()
            proc.wait(10)
        else:
            stop_process(proc)
        return at

    def events(self) -> list[Any]:
        found = [e for log, w in self.logs.items() for e in read_events(self.run.tmp / f"{log}.log", w)]
        return sorted(found, key=lambda e: e.at)


def _pacer_stats(run: Run) -> dict[str, Any]:
    path = run.tmp / "pacer.log"
    lines = (
        [ln for ln in path.read_text(errors="replace").splitlines() if ln.startswith("{")]
        if path.exists()
        else []
    )
    stats = [orjson.loads(ln) for ln in lines if '"sent"' in ln]
    return stats[-1] if stats else {}


def phase_pauses(
    run: Run, workers: Workers, plan: str, rate: float, events: list[Event], warmup: float = 15.0
) -> dict[str, Any]:
    """Paced hits at ``rate`` from ``plan``; ``events`` one after another; per event and partition the
    longest stand-still of the group's committed offset, and the restores the workers logged."""
    group_id = f"{run.cat.processor_prefix}hotpath"
    sampler = CommitSampler(run.bootstrap, group_id, run.hit_partitions)
    sampler.start()
    group = _Group(run, workers)
    pacer = run.role("pacer", "pacer", "--plan", plan, "--latency-rate", str(rate))
    results: list[dict[str, Any]] = []
    try:
        time.sleep(warmup)
        steady_from = time.time() - 8.0  # the first paced hits evict the throughput run's state: not counted
        for n, ev in enumerate(events):
            before = owners(run.bootstrap, group_id)
            if n == 0:
                results.append(
                    {"event": "steady (no change)", **_summary(sampler.gaps(steady_from, time.time()))}
                )
            if ev.kind == "join":
                at = group.join(ev.worker, f"join{n}")
            else:
                at = group.stop(ev.worker, signal.SIGKILL if ev.kind == "kill" else signal.SIGTERM)
            time.sleep(ev.settle)
            end = time.time()
            after = owners(run.bootstrap, group_id)
            moved = {p for p in after if before.get(p) != after.get(p)}
            gaps = sampler.gaps(at - 0.5 if ev.kind == "join" else at, end)
            results.append(
                {
                    "event": f"{ev.kind} bench-{ev.worker}",
                    "members_before": len(set(before.values())),
                    "members_after": len(set(after.values())),
                    "moved_partitions": len(moved),
                    "moved": _summary([g for g in gaps if g.partition in moved]),
                    "stayed": _summary([g for g in gaps if g.partition not in moved]),
                    "per_partition_s": {g.partition: g.seconds for g in gaps},
                    "not_resumed_by_window_end": sorted(g.partition for g in gaps if not g.resumed),
                    "window_s": round(end - at, 1),
                    "restores": restores(group.events(), at - 1, end),
                    "failures": failures(group.events(), at - 1, end),
                    "load_average_1m": round(os.getloadavg()[0], 2),
                }
            )
            print(f"  {results[-1]['event']}: {_line(results[-1])}", flush=True)
        group.scrape()
    finally:
        stop_process(pacer)
        sampler.stop()
    committed = sum(sampler.offsets().values())
    return {
        "rate": rate,
        "pacer": _pacer_stats(run),
        "events": results,
        "offset_fetch_ms": _stats_ms(sampler.fetch_ms),
        "input_consumed_by_workers": int(sum(group.consumed.values())),
        "input_committed_by_group": committed,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _summary(gaps: list[PartitionGap]) -> dict[str, Any]:
    return {"partitions": len(gaps), "pause_s": _stats(gaps)} if gaps else {"partitions": 0}


def _stats_ms(values: list[float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in percentiles(values, (50, 99)).items()}


def _line(r: dict[str, Any]) -> str:
    moved = r["moved"].get("pause_s", {})
    stayed = r["stayed"].get("pause_s", {})
    rs = ", ".join(f"{x['partitions']} partitions {x['seconds_total']} s" for x in r["restores"])
    return (
        f"{r['moved_partitions']} moved, pause max {moved.get('max', '-')} s (p50 {moved.get('p50', '-')}); "
        f"others max {stayed.get('max', '-')} s; restores: {rs or 'none'}"
    )
