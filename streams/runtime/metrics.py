"""The runtime's Prometheus metrics, made by a factory on a given registry: one set per processor loop."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["RuntimeMetrics", "runtime_metrics"]

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class RuntimeMetrics:
    """Series of one loop; labels are the processor, topics, reasons and outcomes, never ids."""

    records: Counter
    dead_letters: Counter
    transactions: Counter
    batch_seconds: Histogram
    lag: Gauge
    oldest: Gauge
    loop_age: Gauge
    restores: Counter
    forged: Counter
    deferring: Gauge
    last_turn: float = field(default_factory=time.monotonic)


def runtime_metrics(registry: CollectorRegistry, processor: str) -> RuntimeMetrics:
    """Create the loop's metrics on ``registry``; ``processor`` is the constant ``processor`` label."""
    kw: dict[str, Any] = {"namespace": "rax", "subsystem": "runtime", "registry": registry}
    m = RuntimeMetrics(
        records=Counter("records", "Input records consumed.", ["processor", "topic"], **kw),
        dead_letters=Counter(
            "dead_letters", "Records dead-lettered, by reason.", ["processor", "reason"], **kw
        ),
        transactions=Counter(
            "transactions",
            "Transactions, by outcome (committed, aborted, producer_replaced).",
            ["processor", "outcome"],
            **kw,
        ),
        batch_seconds=Histogram(
            "batch_seconds", "Time to process and commit one batch.", ["processor"], buckets=_SECONDS, **kw
        ),
        lag=Gauge(
            "lag_records",
            "Records behind the end of each input topic, from committed offsets (a stall shows here).",
            ["processor", "topic"],
            **kw,
        ),
        oldest=Gauge(
            "oldest_unprocessed_seconds",
            "How long a partition has had records waiting (lag above 0), computed at scrape time: it keeps "
            "growing while the loop is stuck.",
            ["processor", "topic", "partition"],
            **kw,
        ),
        loop_age=Gauge(
            "loop_age_seconds",
            "Seconds since the loop last turned (grows when it is stuck).",
            ["processor"],
            **kw,
        ),
        restores=Counter("restored_records", "Changelog records read to restore state.", ["processor"], **kw),
        forged=Counter(
            "forged_records",
            "Input records dead-lettered as forged (no valid MAC or batch signature of their topic's "
            "region), by cause.",
            ["processor", "region", "cause"],
            **kw,
        ),
        deferring=Gauge(
            "deferring",
            "1 while the loop's partitions are paused, yielding to another processor that is behind "
            "(RuntimeSettings.defer_to), else 0.",
            ["processor"],
            **kw,
        ),
    )
    m.loop_age.labels(processor).set_function(lambda: time.monotonic() - m.last_turn)
    m.deferring.labels(processor).set(0)
    for outcome in ("committed", "aborted", "producer_replaced"):
        m.transactions.labels(processor, outcome)
    return m
