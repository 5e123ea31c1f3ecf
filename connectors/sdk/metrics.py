"""The connector metrics: built by a factory on an injected registry, bounded labels only."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from schemas.dlq import DlqReason

__all__ = ["ConnectorMetrics", "connector_metrics"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class ConnectorMetrics:
    """The metrics of one connector instance (labels connector and region already applied)."""

    records_in: Counter
    records_out: Counter
    rejected: dict[DlqReason, Counter]
    dropped: Counter
    delivery_retries: Counter
    produce_latency: Histogram
    queue_depth: Gauge
    position_stored: Gauge

    def reject(self, reason: DlqReason) -> None:
        self.rejected[reason].inc()


def connector_metrics(registry: CollectorRegistry, connector: str, region: str) -> ConnectorMetrics:
    """Register the connector metrics on ``registry``; every label value is initialised at start-up."""
    labels = ("connector", "region")
    records_in = Counter(
        "rax_connector_records_in_total", "Records read from the source.", labels, registry=registry
    )
    records_out = Counter(
        "rax_connector_records_out_total",
        "Records Kafka acknowledged on the connector's input topic.",
        labels,
        registry=registry,
    )
    rejected = Counter(
        "rax_connector_records_rejected_total",
        "Records sent to the connector DLQ, by reason.",
        (*labels, "reason"),
        registry=registry,
    )
    dropped = Counter(
        "rax_connector_records_dropped_total",
        "Source records deliberately not published (unread plates).",
        labels,
        registry=registry,
    )
    retries = Counter(
        "rax_connector_delivery_retries_total",
        "Records produced again after a retriable delivery failure.",
        labels,
        registry=registry,
    )
    latency = Histogram(
        "rax_connector_produce_latency_seconds",
        "Time from producing a batch to Kafka acknowledging its last record.",
        labels,
        buckets=_LATENCY_BUCKETS,
        registry=registry,
    )
    depth = Gauge(
        "rax_connector_queue_depth_records",
        "Records in the producer's queue or in flight, not yet acknowledged.",
        labels,
        registry=registry,
    )
    stored = Gauge(
        "rax_connector_position_stored_timestamp_seconds",
        "When the resume position was last stored (Unix time).",
        labels,
        registry=registry,
    )
    values = (connector, region)
    return ConnectorMetrics(
        records_in=records_in.labels(*values),
        records_out=records_out.labels(*values),
        rejected={r: rejected.labels(*values, r.value) for r in DlqReason},
        dropped=dropped.labels(*values),
        delivery_retries=retries.labels(*values),
        produce_latency=latency.labels(*values),
        queue_depth=depth.labels(*values),
        position_stored=stored.labels(*values),
    )
