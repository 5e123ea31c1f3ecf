"""The control app's Prometheus metrics, built on a registry the caller owns; labels are bounded."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from schemas.acks import BreachStage, Outcome
from schemas.dlq import DlqReason

__all__ = ["OUTCOMES", "STREAMS", "ControlMetrics"]

#: The input streams of the control app (a metric label): the kinds of inbox records.
STREAMS = ("alerts", "watchlist", "acks", "deliveries", "requests")
#: What became of one inbox record (a metric label).
OUTCOMES = ("ok", "duplicate", "rejected", "parked")
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0)
_ANSWER = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0)


class ControlMetrics:
    """Every metric of one control-app process; one instance per registry, updated in the loop thread."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._children: dict[tuple[str, tuple[str, ...]], Counter] = {}

        def counter(name: str, doc: str, labels: tuple[str, ...]) -> Counter:
            return Counter(f"rax_control_{name}", doc, labels, registry=registry)

        def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(f"rax_control_{name}", doc, labels, registry=registry)

        self.records = counter("records_total", "Inbox records by stream and outcome.", ("stream", "outcome"))
        self.dead_letters = counter(
            "dead_letters_total", "Records sent to the DLQ.", ("stream", "reason", "stage")
        )
        self.deliveries = counter("deliveries_total", "Deliveries produced.", ("region", "kind"))
        self.refusals = counter("refusals_total", "Disclosures refused (audited).", ("region", "reason"))
        self.alert_latency = Histogram(
            "rax_control_alert_delivery_latency_seconds",
            "From an alert's arrival on its input topic to its deliveries being decided.",
            buckets=_LATENCY,
            registry=registry,
        )
        self.watchlist = counter(
            "watchlist_commands_total", "Watchlist commands and expiries applied.", ("region", "op")
        )
        self.active_entries = gauge("watchlist_active_entries", "Active watchlist entries.", ("region",))
        self.review_overdue = gauge(
            "watchlist_review_overdue_entries", "Active entries past their review date.", ("region",)
        )
        self.acks = counter("acks_total", "Acknowledgements applied.", ("region", "outcome"))
        self.time_to_acknowledge = Histogram(
            "rax_control_time_to_acknowledge_seconds",
            "From a delivery to its first acknowledgement.",
            ("region",),
            buckets=_ANSWER,
            registry=registry,
        )
        self.requests = counter(
            "requests_total",
            "Cooperation requests sent and answers applied, by the sending region and what it did.",
            ("region", "op"),
        )
        self.breaches = counter("deadline_breaches_total", "Deadline breaches raised.", ("region", "stage"))
        self.interception = gauge("interception_ratio", "Intercepted / final outcomes.", ("region",))
        self.false_positive = gauge("false_positive_ratio", "False positives / final outcomes.", ("region",))
        self.pending_deadlines = gauge("pending_deadlines", "Answers awaited with a deadline.")
        self.forgotten = counter(
            "forgotten_total", "Records forgotten under the retention policy, by store.", ("store",)
        )
        self.parked = gauge("parked_alerts", "Updates and Cancels waiting for the message they refer to.")
        self.zone_revision = gauge("zone_revision", "Revision of the zone in force.")
        for stream in STREAMS:
            for outcome in OUTCOMES:
                self.records.labels(stream, outcome)

    def init_labels(self, regions: Iterable[str]) -> None:
        """Create the series of every region of the zone, so they read 0 before the first event."""
        for region in regions:
            self.active_entries.labels(region)
            self.review_overdue.labels(region)
            self.interception.labels(region)
            self.false_positive.labels(region)
            self.time_to_acknowledge.labels(region)
            for outcome in Outcome:
                self.acks.labels(region, outcome.value)
            for stage in BreachStage:
                self.breaches.labels(region, stage.value)

    def child(self, metric: Counter, *labels: str) -> Counter:
        """``metric.labels(*labels)``, looked up once: ``labels`` takes a lock and checks its arguments,
        a cost paid ~10 times per alert at thousands of alerts a second."""
        key = (metric._name, labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def dead_letter(self, stream: str, reason: DlqReason, stage: str) -> None:
        """Count one record sent to the DLQ."""
        self.dead_letters.labels(stream, reason.value, stage).inc()
