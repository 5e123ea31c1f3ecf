"""Phase 3: read-to-delivery latency of the hot path at a fixed offered load from the paced producer."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Consumer, TopicPartition

from bench.common import histogram_quantile, percentiles, proc_cpu_seconds
from bench.hotpath.clients import clients
from bench.hotpath.escalate import CloneThread, Escalator
from bench.hotpath.procs import Run, Workers, start_py_spy, stop_py_spy
from bench.hotpath.sampler import MachineSampler, mean_over


def _batch_totals(workers: Workers) -> tuple[float, float, float]:
    """Batches, records in them and seconds spent processing and committing them, so far."""
    return (
        workers.total("rax_hotpath_batch_seconds_count"),
        workers.total("rax_hotpath_batch_size_records_sum"),
        workers.total("rax_hotpath_batch_seconds_sum"),
    )


def out_reader(run: Run) -> Consumer:
    """A read_committed reader of every ``rax.out.<region>``, from their current ends."""
    group = f"{run.cat.processor_prefix}bench-latency"  # assigned, never joined
    reader = clients(run.bootstrap).consumer(group, {"fetch.wait.max.ms": 10})
    parts = []
    for region in run.world.regions:
        topic = run.cat.out(region)
        for p in reader.list_topics(topic, timeout=10).topics[topic].partitions:
            high = reader.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            parts.append(TopicPartition(topic, p, high))
    reader.assign(parts)
    return reader


def pacer_lines(run: Run, name: str = "pacer") -> list[dict[str, Any]]:
    """The JSON lines the paced producer ``name`` printed: when it started, what it sent."""
    path = run.tmp / f"{name}.log"
    text = path.read_text(errors="replace") if path.exists() else ""
    return [orjson.loads(ln) for ln in text.splitlines() if ln.startswith("{")]


def phase_latency(
    run: Run, workers: Workers, plan: Path, planted: int, escalator: Escalator | None = None
) -> dict[str, Any]:
    """Paced hits at ``--latency-rate``; read-to-delivery latency seen by a read_committed reader.

    The first ``--latency-warmup`` seconds (20 by default) are not counted: the first paced hits move
    every dedup window's watermark an hour on (phase 1's pass times), and evicting phase 1's state is a
    one-off; and the broker's JIT compilers work on this load's code (small transactions,
    read_committed fetches) for its first ~20 s: measured 0.41 of the 2 cores in the first 5 s, 0.10
    after 20 s, 0.02 after 40 s (a broker that has run for days has done this long ago).
    With ``--keep`` the run's directory holds every delivery's latency by pass time
    (``latency-series.json``, seconds from the end of the warm-up) and the machine each half second
    (``machine-series.json``, on the same clock: ``bench.hotpath.sampler``).
    """
    args = run.args
    reader = out_reader(run)
    hits_before = workers.total("rax_hotpath_hits_total")
    sent = int(args.latency_rate * (args.latency_warmup + args.latency_seconds))
    spy = start_py_spy(run, workers.procs[0].pid, "latency") if args.py_spy else None
    pacer = run.role("pacer", "pacer", "--plan", str(plan), "--latency-rate", str(args.latency_rate))
    seen: list[tuple[float, float]] = []  # (pass time, receive time) of every match delivery
    escalations: dict[str, tuple[float, float]] = {}  # plate: (last evidence pass time, receive time)
    clones = CloneThread(run, escalator) if escalator is not None else None
    measure_from: float | None = None  # wall time the warm-up ends
    before: tuple[tuple[float, float, float], dict[float, float], float, float] | None = None
    pids = [p.pid for p in workers.procs]
    machine = MachineSampler({"worker": pids, "broker": [run.broker_pid]}, [run.broker_pid]).start()
    caught_up: float | None = None  # when the worker had committed every paced hit
    next_check = 0.0
    deadline = time.monotonic() + args.latency_warmup + args.latency_seconds + args.stage_timeout
    while time.monotonic() < deadline:
        msgs = reader.consume(1000, 0.005)
        received = time.time()
        for m in msgs:
            doc = orjson.loads(m.value() or b"{}") if m.error() is None else {}
            if doc.get("match"):
                seen.append((datetime.fromisoformat(doc["match"]["pass_time"]).timestamp(), received))
            elif (op := doc.get("operation")) and op["trigger"] == "cloned_plate":
                passed = datetime.fromisoformat(op["evidence"][-1]["pass_time"]).timestamp()
                escalations.setdefault(op["plate"], (passed, received))  # one delivery per region
        now = time.monotonic()
        if now >= next_check:
            next_check = now + 0.25
            if measure_from is None and (started := [x for x in pacer_lines(run) if "started" in x]):
                measure_from = started[0]["started"] + args.latency_warmup
            if before is None and measure_from is not None and received >= measure_from:
                hist = workers.hist("rax_hotpath_read_to_delivery_seconds")
                before = (_batch_totals(workers), hist, proc_cpu_seconds(*pids), time.monotonic())
            done = caught_up is None and pacer.poll() is not None
            if done and clones is not None:
                clones.stop()
            if done and workers.total("rax_hotpath_hits_total") >= hits_before + sent:
                caught_up = now
        waiting = clones is not None and bool(clones.missing(escalations)) and now - (caught_up or now) < 60
        if caught_up is not None and not msgs and now - caught_up > 2.0 and not waiting:
            break  # every delivery was committed before `caught_up`: 2 s to read them is plenty
        if not workers.alive():
            raise RuntimeError(f"a hot-path worker died in the latency phase:\n{run.log_tail('hotpath-0')}")
    reader.close()
    stop_py_spy(spy)
    escalation = clones.result(escalations) if clones is not None else None
    stats_lines = [x for x in pacer_lines(run) if "sent" in x]
    pacer_stats = stats_lines[-1] if stats_lines else {}
    start = measure_from if measure_from is not None else 0.0
    latencies = [(got - passed) * 1000 for passed, got in seen if passed >= start]
    series = [(round(passed - start, 4), round((got - passed) * 1000, 2)) for passed, got in seen]
    (run.tmp / "latency-series.json").write_bytes(orjson.dumps(series))  # kept with --keep: the tail in time
    rows = machine.write(
        run.tmp / "machine-series.json", start
    )  # the machine meanwhile, on the series' clock
    (n0, records0, seconds0), hist0, cpu0, t0 = before or ((0.0, 0.0, 0.0), {}, 0.0, time.monotonic())
    busy = (proc_cpu_seconds(*pids) - cpu0) / max(time.monotonic() - t0, 1e-9)
    n, records, seconds = (
        a - b for a, b in zip(_batch_totals(workers), (n0, records0, seconds0), strict=True)
    )
    hist_after = workers.hist("rax_hotpath_read_to_delivery_seconds")
    window = {b: hist_after.get(b, 0.0) - hist0.get(b, 0.0) for b in hist_after}
    return {
        **({"escalation": escalation} if escalation is not None else {}),
        "offered_rate": args.latency_rate,
        "load_average_1m": round(os.getloadavg()[0], 2),
        # cores (of 2) in the measured window: the worker, the broker, its JIT compilers; idle share
        "machine": mean_over(rows, 0.0, float(args.latency_seconds)),
        "seconds": args.latency_seconds,
        "warmup_seconds": args.latency_warmup,
        "pacer": pacer_stats,
        "achieved_rate": round(pacer_stats.get("sent", 0) / max(pacer_stats.get("seconds", 1e-9), 1e-9), 1),
        "matching_hits_planted": planted,
        "deliveries_received": len(latencies),
        "deliveries_in_warmup": len(seen) - len(latencies),
        "read_to_delivery_ms": {k: round(v, 2) for k, v in percentiles(latencies, (50, 99)).items()},
        "worker_batches": {
            "worker_cpu_utilisation": round(busy, 3),  # CPU seconds per second, all threads
            "count": n,
            "mean_records": round(records / max(n, 1), 1),
            "mean_process_and_commit_ms": round(seconds / max(n, 1) * 1000, 1),
        },
        "worker_histogram_ms": {
            "count": window.get(float("inf"), 0.0),
            "p50": round(histogram_quantile(window, 0.5) * 1000, 1),
            "p99": round(histogram_quantile(window, 0.99) * 1000, 1),
        },
    }
