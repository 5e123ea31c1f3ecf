"""Shared helpers of the benchmark programs: machine description, percentiles, memory, progress, output.

Nothing here is RAX logic: these are the measuring instruments every ``bench/bench_*.py`` program
uses, so that figures from different benchmarks are taken and printed the same way.
"""

from __future__ import annotations

import json
import math
import os
import platform
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException, TopicPartition

from schemas.kafka_settings import KafkaSettings
from streams.runtime import ClientFactory

__all__ = [
    "GroupProgress",
    "Progress",
    "Samples",
    "histogram_quantile",
    "machine",
    "metric_buckets",
    "metric_total",
    "percentiles",
    "proc_cpu_seconds",
    "proc_memory_mb",
    "save_json",
    "scrape",
    "stop_process",
    "table",
    "thread_cpu_seconds",
    "thread_runqueue_wait_seconds",
    "track",
]


# ---- the machine ---------------------------------------------------------------------------------
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def _memory_gb() -> float:
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
        return round(kb / 2**20, 1)
    except (OSError, StopIteration):
        return math.nan


def machine(**extra: Any) -> dict[str, Any]:
    """CPU model, cores, memory, Python and OS, plus whatever versions the caller adds."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gb": _memory_gb(),
        "python": sys.version.split()[0],
        "os": platform.platform(),
        # the machine may be shared: other work running makes every figure worse, so say how busy it was
        "load_average": [round(x, 2) for x in os.getloadavg()],
        **extra,
    }


# ---- statistics ----------------------------------------------------------------------------------
def percentiles(values: Sequence[float], points: Iterable[float] = (50, 99)) -> dict[str, float]:
    """Nearest-rank percentiles (``p50``, ``p99`` …) plus ``max`` and ``count`` of ``values``."""
    ordered = sorted(values)
    out: dict[str, float] = {"count": len(ordered)}
    if not ordered:
        return out
    for p in points:
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        out[f"p{p:g}"] = ordered[rank - 1]
    out["max"] = ordered[-1]
    return out


def histogram_quantile(buckets: dict[float, float], q: float) -> float:
    """Prometheus ``histogram_quantile``: ``buckets`` maps upper bound (``inf`` last) to cumulative count."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return math.nan
    rank = q * buckets[bounds[-1]]
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower  # beyond the last finite bucket: its bound is the best estimate
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-12)
        lower, below = bound, count
    return lower


# ---- processes -----------------------------------------------------------------------------------
def proc_memory_mb(pid: int) -> dict[str, float]:
    """``rss`` (VmRSS) and ``peak`` (VmHWM, the high-water mark) of a live process, in MB."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["rss"] = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    out["peak"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def proc_cpu_seconds(*pids: int) -> float:
    """User + system CPU seconds used so far by the live processes ``pids`` (all their threads)."""
    return sum(_stat_cpu(f"/proc/{pid}/stat")[1] for pid in pids)


def _stat_cpu(path: str) -> tuple[str, float]:
    """(name, user + system CPU seconds) of a ``/proc/…/stat`` file; ("", 0.0) when it is gone."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return "", 0.0
    fields = text.rsplit(")", 1)[1].split()
    name = text[text.index("(") + 1 : text.rindex(")")]
    return name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _runqueue_wait(path: str) -> float:
    """Seconds a task has waited on a run queue, runnable but not running (``/proc/…/schedstat``)."""
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _by_thread(pid: int, measure: Callable[[str], float]) -> dict[str, float]:
    """``measure(task dir)`` of each thread of ``pid``, summed by thread name; {} when it is gone."""
    out: dict[str, float] = {}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        name, _ = _stat_cpu(f"/proc/{pid}/task/{tid}/stat")
        if name:
            out[name] = out.get(name, 0.0) + measure(f"/proc/{pid}/task/{tid}")
    return out


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """User + system CPU seconds so far of each thread of ``pid``, summed by thread name (librdkafka
    names its threads ``rdk:main``, ``rdk:broker1`` …; Python's are named after the program)."""
    return _by_thread(pid, lambda task: _stat_cpu(f"{task}/stat")[1])


def thread_runqueue_wait_seconds(pid: int) -> dict[str, float]:
    """Seconds each thread of ``pid`` has waited for a CPU while runnable, summed by thread name: the CPU
    it wanted and the machine's other processes had."""
    return _by_thread(pid, lambda task: _runqueue_wait(f"{task}/schedstat"))


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> int | None:
    """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode


Samples = dict[str, list[tuple[dict[str, str], float]]]


def scrape(url: str, timeout: float = 5.0) -> Samples:
    """The samples of a Prometheus text endpoint: sample name -> [(labels, value)]."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(url, timeout=timeout) as resp:
        text = resp.read().decode("utf-8")
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((dict(sample.labels), float(sample.value)))
    return out


def metric_total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of a scraped sample over every series whose labels include ``labels``."""
    return sum(v for lab, v in samples.get(name, []) if all(lab.get(k) == x for k, x in labels.items()))


def metric_buckets(samples: Samples, name: str) -> dict[float, float]:
    """A scraped histogram's cumulative buckets (upper bound -> count), summed over its series."""
    out: dict[float, float] = {}
    for lab, v in samples.get(f"{name}_bucket", []):
        bound = float(lab["le"])
        out[bound] = out.get(bound, 0.0) + v
    return out


# ---- progress of a consumer ----------------------------------------------------------------------
@dataclass
class Progress:
    """How a count of processed records moved over time, the sustained rate and the CPU it took.

    ``samples`` are (monotonic time, records done, CPU seconds used so far by the measured processes).
    The CPU per record does not depend on how busy the machine is, the rate does: on a shared machine
    the first is the fairer comparison.
    """

    total: int
    samples: list[tuple[float, int, float]] = field(default_factory=list)
    finished: bool = False
    stopped_early: str = ""

    @property
    def done(self) -> int:
        return self.samples[-1][1] if self.samples else 0

    def window(self) -> tuple[tuple[float, int, float], tuple[float, int, float]] | None:
        """The first sample that showed progress and the one at which the final count was reached."""
        if len(self.samples) < 2:
            return None
        start_count = self.samples[0][1]
        first = next((s for s in self.samples if s[1] > start_count), None)
        last = next(s for s in self.samples if s[1] == self.samples[-1][1])
        if first is None or last[0] <= first[0]:
            return None
        return first, last

    @property
    def rate(self) -> float:
        """Records per second from the first progress to the last (0 if too few samples)."""
        w = self.window()
        return (w[1][1] - w[0][1]) / (w[1][0] - w[0][0]) if w else 0.0

    def summary(self) -> dict[str, Any]:
        w = self.window()
        records = (w[1][1] - w[0][1]) if w else 0
        cpu = (w[1][2] - w[0][2]) if w else 0.0
        return {
            "records": self.done,
            "of": self.total,
            "finished": self.finished,
            "stopped_early": self.stopped_early or None,
            "measured_records": records,
            "measured_seconds": round(w[1][0] - w[0][0], 3) if w else 0.0,
            "rate_per_s": round(self.rate, 1),
            "cpu_seconds": round(cpu, 2),
            "cpu_us_per_record": round(cpu / records * 1e6, 2) if records else None,
        }


def track(
    count: Callable[[], int],
    total: int,
    *,
    alive: Callable[[], bool] = lambda: True,
    interval: float = 0.1,
    stall_seconds: float = 60.0,
    max_seconds: float | None = None,
    on_sample: Callable[[], None] = lambda: None,
    cpu: Callable[[], float] = lambda: 0.0,
) -> Progress:
    """Samples ``count()`` until it reaches ``total``, stalls, ``alive()`` turns false or time runs out.

    ``max_seconds`` bounds the time after the first progress (a slow baseline is measured over part of
    the records); the rate is always the one between the first and the last progress seen. ``cpu()``
    says how many CPU seconds the measured processes have used so far.
    """
    progress = Progress(total)
    started = last_move = time.monotonic()
    first_move: float | None = None
    previous = -1
    while True:
        now_count = count()
        now = time.monotonic()
        progress.samples.append((now, now_count, cpu()))
        on_sample()
        if now_count >= total:
            progress.finished = True
            return progress
        if now_count != previous:
            if previous >= 0 and first_move is None:
                first_move = now
            previous, last_move = now_count, now
        if not alive():
            progress.stopped_early = "process exited"
            return progress
        if now - last_move > stall_seconds:
            progress.stopped_early = f"no progress for {stall_seconds:.0f} s"
            return progress
        if max_seconds is not None and first_move is not None and now - first_move > max_seconds:
            progress.stopped_early = f"measured for {max_seconds:.0f} s only"
            return progress
        if first_move is None and now - started > stall_seconds * 3:
            progress.stopped_early = "never started"
            return progress
        time.sleep(interval)


class GroupProgress:
    """How many records of ``partitions`` a consumer group has committed; a callable for ``track``.

    With ``written`` (the partitions a pass-through writes to), no more than it has written there, so a
    consumer that commits before its output is acknowledged is not counted ahead of its output.
    """

    def __init__(
        self,
        bootstrap: str,
        group: str,
        partitions: list[TopicPartition],
        written: list[TopicPartition] | None = None,
    ) -> None:
        self.partitions, self.written = partitions, written
        # read_uncommitted (the factory's one escape): committed() then does not wait for the group's open
        # transaction to settle. It only asks for the group's offsets: it never joins the group.
        clients = ClientFactory(KafkaSettings(bootstrap_servers=bootstrap), "bench-progress")
        self.consumer = clients.consumer(group, isolation="read_uncommitted")

    def committed(self) -> int:
        try:
            parts = self.consumer.committed(self.partitions, timeout=10)
        except KafkaException:
            return 0
        return sum(max(tp.offset, 0) for tp in parts)

    def __call__(self) -> int:
        done = self.committed()
        if self.written is None:
            return done
        try:
            out = sum(self.consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in self.written)
        except KafkaException:  # a topic created a moment ago may not have a leader yet
            return 0
        return min(done, out)

    def close(self) -> None:
        self.consumer.close()


# ---- output --------------------------------------------------------------------------------------
def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table, first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _plain(value: Any) -> Any:
    """``value`` with dataclasses, paths and tuples made JSON, and NaN / infinity made null."""
    if hasattr(value, "__dataclass_fields__"):
        value = asdict(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def save_json(path: Path, data: dict[str, Any]) -> None:
    """Writes ``data`` as indented UTF-8 JSON (overwriting), creating the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_plain(data), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
