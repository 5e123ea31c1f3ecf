"""Phases 1 and 2: the hot path's rate on the pre-produced hits, then the baselines' and the peer's."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic

from bench.common import (
    GroupProgress,
    Progress,
    proc_cpu_seconds,
    proc_memory_mb,
    stop_process,
    thread_cpu_seconds,
    thread_runqueue_wait_seconds,
    track,
)
from bench.hotpath.clients import clients
from bench.hotpath.procs import Run, Workers, start_py_spy, stop_py_spy
from bench.hotpath.quix import peer_lines


def timed(
    run: Run, count: Callable[[], int], pids: list[int], on_sample: Callable[[], None], **kw: Any
) -> tuple[Progress, dict[str, Any]]:
    """``track`` of a consumer over the pre-produced hits, with its CPU and the broker's per record."""
    broker: list[float] = []

    def sample() -> None:
        broker.append(proc_cpu_seconds(run.broker_pid))
        on_sample()

    progress = track(count, run.world.hits, cpu=lambda: proc_cpu_seconds(*pids), on_sample=sample, **kw)
    summary = progress.summary()
    window = progress.window()
    if window and summary["measured_records"]:
        first, last = (progress.samples.index(s) for s in window)
        cpu = broker[last] - broker[first]
        summary["broker_cpu_us_per_record"] = round(cpu / summary["measured_records"] * 1e6, 2)
    return progress, summary


def phase_hotpath(
    run: Run,
    workers: Workers,
    on_ready: Callable[[], None] | None = None,
    beside: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """Starts the workers, waits for the watchlist to load, then times every pre-produced hit.

    ``on_ready`` runs once the watchlist is loaded, before timing (it starts what runs beside the hot
    path); ``beside`` counts that process's records at each sample, and the hot path's rate is then also
    given over the samples from its first record on (``rate_beside_per_s``)."""
    args, world = run.args, run.world
    workers.start()
    ready = workers.wait_ready(world.entries, args.stage_timeout)
    loads = ", ".join(f"{r['load_seconds']} s" for r in ready)
    print(f"  watchlist loaded in {loads} (from process start)", flush=True)
    if on_ready is not None:
        on_ready()
    others: list[float] = []

    def sample() -> None:
        workers.sample_memory()
        if beside is not None:
            others.append(beside())

    spy = start_py_spy(run, workers.procs[0].pid, "throughput") if args.py_spy else None
    threads_before = thread_cpu_seconds(workers.procs[0].pid)
    waits_before = thread_runqueue_wait_seconds(workers.procs[0].pid)
    try:
        progress, timing = timed(
            run,
            lambda: int(workers.total("rax_hotpath_hits_total")),
            [p.pid for p in workers.procs],
            alive=workers.alive,
            max_seconds=args.stage_timeout,
            on_sample=sample,
            interval=0.25,  # each scrape costs the worker's GIL a little: not too often
        )
    finally:
        stop_py_spy(spy)
    workers.sample_memory()
    threads_after = thread_cpu_seconds(workers.procs[0].pid)
    waits_after = thread_runqueue_wait_seconds(workers.procs[0].pid)
    hits = max(progress.done, 1)

    def per_hit(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
        # worker 0's seconds per hit by thread, over the whole phase (not only the timed window)
        return {
            name: round((t - before.get(name, 0.0)) / hits * 1e6 * len(workers.procs), 2)
            for name, t in sorted(after.items())
            if t - before.get(name, 0.0) > 0
        }

    if not progress.finished:
        raise RuntimeError(
            f"the hot path stopped early ({progress.stopped_early}):\n{run.log_tail('hotpath-0')}"
        )
    if beside is not None:
        timing["rate_beside_per_s"] = _rate_beside(progress.samples, others)
    return {
        "progress": timing,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "workers": ready,
        "peak_rss_mb": round(max(m.get("peak", 0.0) for m in workers.memory), 1),
        "worker_0_cpu_us_per_hit_by_thread": per_hit(threads_after, threads_before),
        # runnable but not running: the CPU the worker wanted and the machine's other processes had
        "worker_0_runqueue_wait_us_per_hit_by_thread": per_hit(waits_after, waits_before),
        "counters": {
            "hits": workers.total("rax_hotpath_hits_total"),
            "duplicates": workers.total("rax_hotpath_duplicates_total"),
            "matches": {
                k: workers.total("rax_hotpath_matches_total", kind=k) for k in ("exact", "misread", "partial")
            },
            "deliveries": workers.total("rax_hotpath_deliveries_total"),
            "sealed_deliveries": workers.total("rax_hotpath_sealed_deliveries_total"),
            "forged": workers.total("rax_runtime_forged_records_total"),
            "refusals": workers.total("rax_hotpath_refusals_total"),
            "dlq": workers.total("rax_hotpath_dlq_total"),
            "aborts": workers.total("rax_hotpath_transaction_aborts_total"),
        },
    }


def _rate_beside(samples: list[tuple[float, int, float]], others: list[float]) -> float | None:
    """The hot path's records per second from the first sample at which the other process had read a
    record to the last sample with progress (None if they never overlapped)."""
    first = next((i for i, n in enumerate(others) if n > 0), None)
    if first is None or first >= len(samples):
        return None
    last = next(i for i, s in enumerate(samples) if s[1] == samples[-1][1])
    if last <= first:
        return None
    (t0, n0, _), (t1, n1, _) = samples[first], samples[last]
    return round((n1 - n0) / (t1 - t0), 1)


def phase_baseline(run: Run, name: str, role: str, *extra: str, max_seconds: float) -> dict[str, Any]:
    """One pass-through (or the Quix peer) in a subprocess over the pre-produced hits; its rate and memory."""
    args, cat = run.args, run.cat
    out_topic = f"{cat.internal_prefix}bench-{name}"
    group = f"{cat.processor_prefix}bench-{name}"
    admin = clients(run.bootstrap).admin()
    for fut in admin.create_topics([NewTopic(out_topic, args.partitions, 1)]).values():
        fut.result()
    cmd = ["--group", group, "--out-topic", out_topic, "--regions", ",".join(run.world.regions), *extra]
    proc = run.role(name, role, *cmd, "--data-dir", str(run.tmp / f"{name}-data"))
    # a transactional consumer's outputs and offsets commit together: its offsets are the count
    transactional = "--transactions" in extra or role == "quix"
    written = None if transactional else [TopicPartition(out_topic, p) for p in range(args.partitions)]
    watch = GroupProgress(run.bootstrap, group, run.hit_partitions, written)
    peak: dict[str, float] = {}

    def sample() -> None:
        peak.update(proc_memory_mb(proc.pid) or peak)

    try:
        progress, timing = timed(
            run,
            watch,
            [proc.pid],
            alive=lambda: proc.poll() is None,
            max_seconds=max_seconds,
            on_sample=sample,
        )
    finally:
        sample()
        code = stop_process(proc)
        watch.close()
    result: dict[str, Any] = {
        "progress": timing,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "peak_rss_mb": round(peak.get("peak", 0.0), 1),
    }
    if role == "quix":
        result["peer"] = peer_lines(run, name)  # its tally, printed when it stopped
    if progress.stopped_early and progress.stopped_early != f"measured for {max_seconds:.0f} s only":
        result["error"] = f"{progress.stopped_early} (exit {code}):\n{run.log_tail(name)}"
    return result
