"""N hot-path workers in one group over the same pre-produced hits: rate, CPU per hit and RSS per worker."""

from __future__ import annotations

import itertools
import os
import time
from typing import Any

from bench.common import Progress, metric_total, proc_cpu_seconds
from bench.hotpath.procs import Run, Workers
from bench.hotpath.throughput import timed
from bench.scaleout.timeline import read_events, restores

__all__ = ["measured_window", "phase_throughput"]

INTERVAL = 0.25  # seconds between samples of the workers' counts


def measured_window(progress: Progress) -> tuple[tuple[float, int, float], tuple[float, int, float]]:
    """The samples the rate is timed between; an error that says what to change if there are none.

    With few ``--hits`` the workers count them all within one sample, and no rate can be timed.
    """
    window = progress.window()
    if window is None:
        raise RuntimeError(
            f"{progress.done:,} hits were counted within one {INTERVAL} s sample, too few to time a rate: "
            "run with more --hits (100,000 or more)"
        )
    return window


def phase_throughput(run: Run, workers: Workers) -> dict[str, Any]:
    """Starts ``run.args.workers`` workers, waits for their watchlists, times every hit; per-worker figures.

    The workers start together but finish loading the watchlist seconds apart, so the first to join
    takes every partition and starts; each later one triggers a rebalance. The rate is therefore given
    twice: over the whole run, and from the last restore on (every worker in the group).
    """
    args = run.args
    workers.start()
    ready = workers.wait_ready(run.world.entries, args.stage_timeout)
    pids = [p.pid for p in workers.procs]
    last: list[float] = [0.0] * len(pids)
    rows: list[tuple[float, list[float], list[float]]] = []  # wall time, CPU s and hits per worker

    def count() -> int:
        last[:] = [metric_total(m, "rax_hotpath_hits_total") for m in workers.metrics()]
        return int(sum(last))

    def on_sample() -> None:
        rows.append((time.time(), [proc_cpu_seconds(pid) for pid in pids], list(last)))
        workers.sample_memory()

    progress, summary = timed(
        run, count, pids, on_sample, alive=workers.alive, max_seconds=args.stage_timeout, interval=INTERVAL
    )
    if not progress.finished:
        raise RuntimeError(
            f"the hot path stopped early ({progress.stopped_early}):\n{run.log_tail('hotpath-0')}"
        )
    window = measured_window(progress)
    first, end = (progress.samples.index(s) for s in window)
    events = [e for i in range(len(pids)) for e in read_events(run.tmp / f"hotpath-{i}.log", f"bench-{i}")]
    rebalances = restores(sorted(events, key=lambda e: e.at), rows[first][0] - 60, rows[end][0])
    per_worker = []
    total_cpu = 0.0
    for i in range(len(pids)):
        cpu = rows[end][1][i] - rows[first][1][i]
        total_cpu += cpu
        hits = rows[end][2][i] - rows[first][2][i]
        per_worker.append(
            {
                "worker": f"bench-{i}",
                "hits": int(rows[end][2][i]),
                "cpu_seconds": round(cpu, 2),
                "cpu_us_per_hit": round(cpu / hits * 1e6, 1) if hits else None,
                "rss_mb": round(workers.memory[i].get("rss", 0.0), 1),
                "peak_rss_mb": round(workers.memory[i].get("peak", 0.0), 1),
                **ready[i],
            }
        )
    measured = summary["measured_records"]
    settled_at = max((r["began_at"] + r["seconds_total"] for r in rebalances), default=rows[first][0])
    after = [i for i in range(first, end + 1) if rows[i][0] >= settled_at]
    steady = None
    if len(after) >= 2 and rows[after[-1]][0] > rows[after[0]][0]:
        a, b = after[0], after[-1]
        steady = round(
            (progress.samples[b][1] - progress.samples[a][1])
            / (progress.samples[b][0] - progress.samples[a][0]),
            1,
        )
    stalled = _stalled(progress.samples[first : end + 1], 1.0)
    return {
        "workers": len(pids),
        "progress": summary,
        "rate_after_last_rebalance": steady,
        "seconds_stalled": round(stalled, 2),
        "aggregate_cpu_us_per_hit": round(total_cpu / measured * 1e6, 1) if measured else None,
        "per_worker": per_worker,
        "restores": rebalances,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _stalled(samples: list[tuple[float, int, float]], longer_than: float) -> float:
    """Seconds between consecutive moves of the count that are at least ``longer_than`` apart (a
    rebalance, a restore); shorter ones are a batch in progress between two samples."""
    total, since = 0.0, samples[0][0] if samples else 0.0
    for (_, n0, _), (t1, n1, _) in itertools.pairwise(samples):
        if n1 != n0:
            if t1 - since >= longer_than:
                total += t1 - since
            since = t1
    return total
