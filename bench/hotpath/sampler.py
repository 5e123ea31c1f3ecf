"""The machine over time during a paced phase: CPU by kind, dirty pages, and chosen processes' CPU.

Read-to-delivery's tail is made of moments, so the benchmark keeps what the machine was doing in each
half second beside the latency series (``machine-series.json``, kept with ``--keep``): the share of
both cores in user, system, iowait and steal time (``/proc/stat``), the page cache's dirty and
writeback kilobytes (``/proc/meminfo``: a burst of earlier writes flushed to the disk), the CPU
seconds per second of the worker and of the broker's JVM, and of the JVM's JIT compiler threads: a
broker started minutes before compiles the code of a new load (small transactions, read_committed
fetches) for its first ~15 s of it, measured at ~0.4 of a core on this machine.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import orjson

from bench.common import proc_cpu_seconds, thread_cpu_seconds

__all__ = ["MachineSampler", "mean_over"]

_CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def _cpu_ticks() -> dict[str, int]:
    with open("/proc/stat", encoding="ascii") as f:
        values = f.readline().split()[1:]
    return dict(zip(_CPU_FIELDS, (int(v) for v in values), strict=False))


def _meminfo_kb(*names: str) -> dict[str, int]:
    out: dict[str, int] = {}
    with open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in names:
                out[name] = int(rest.split()[0])
    return out


def _compiler_cpu_seconds(pids: list[int]) -> float:
    """CPU seconds used so far by the JIT compiler threads (``C1/C2 CompilerThread``) of JVMs ``pids``."""
    return sum(v for pid in pids for name, v in thread_cpu_seconds(pid).items() if "CompilerThre" in name)


class MachineSampler:
    """Samples the machine every ``interval_s`` on a daemon thread until ``stop``."""

    def __init__(
        self, processes: dict[str, list[int]], jvms: list[int] | None = None, interval_s: float = 0.5
    ) -> None:
        self._processes = processes
        self._jvms = jvms or []
        self._interval = interval_s
        self._rows: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="machine-sampler", daemon=True)

    def start(self) -> MachineSampler:
        self._thread.start()
        return self

    def stop(self) -> list[dict[str, Any]]:
        self._stop.set()
        self._thread.join(5)
        return self._rows

    def write(self, path: Path, origin: float = 0.0) -> list[dict[str, Any]]:
        """Stops; writes and returns the rows, their times as seconds from ``origin`` (a wall time)."""
        rows = [{**r, "t": round(r["t"] - origin, 2)} for r in self.stop()]
        path.write_bytes(orjson.dumps(rows))
        return rows

    def _run(self) -> None:
        ticks = _cpu_ticks()
        cpu = {name: proc_cpu_seconds(*pids) for name, pids in self._processes.items()}
        jit = _compiler_cpu_seconds(self._jvms)
        t = time.monotonic()
        while not self._stop.wait(self._interval):
            now_ticks, now = _cpu_ticks(), time.monotonic()
            total = max(sum(now_ticks.values()) - sum(ticks.values()), 1)
            row: dict[str, Any] = {"t": round(time.time(), 2)}
            for kind in ("user", "system", "iowait", "steal", "idle"):
                row[kind] = round((now_ticks[kind] - ticks[kind]) / total, 3)  # share of all cores
            row.update({k.lower() + "_kb": v for k, v in _meminfo_kb("Dirty", "Writeback").items()})
            for name, pids in self._processes.items():
                used = proc_cpu_seconds(*pids)
                row[name] = round((used - cpu[name]) / max(now - t, 1e-9), 3)  # cores
                cpu[name] = used
            if self._jvms:
                used = _compiler_cpu_seconds(self._jvms)
                row["jit"] = round((used - jit) / max(now - t, 1e-9), 3)  # cores, the JVMs' compilers
                jit = used
            self._rows.append(row)
            ticks, t = now_ticks, now


def mean_over(rows: list[dict[str, Any]], start: float, end: float) -> dict[str, float]:
    """Each sampled figure's mean over the rows with ``start <= t <= end`` (the measured window)."""
    inside = [r for r in rows if start <= r["t"] <= end]
    keys = [k for k in (inside[0] if inside else {}) if k != "t"]
    return {k: round(sum(r[k] for r in inside) / len(inside), 3) for k in keys}
