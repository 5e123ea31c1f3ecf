"""The evaluator's Prometheus metrics: gauges of the current scorecards and counters of its input."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from schemas.scorecard import CheckpointStatus, Scorecard

__all__ = ["EvaluateMetrics"]


class EvaluateMetrics:
    """Built once per app on an injected registry; ``show`` sets the gauges of one scorecard."""

    def __init__(self, registry: CollectorRegistry) -> None:
        rp = ["region", "period"]
        self.records = Counter(
            "rax_evaluate_records_total",
            "Input records by stream and outcome",
            ["stream", "outcome"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "rax_evaluate_dead_letters_total",
            "Records dead-lettered by reason",
            ["reason"],
            registry=registry,
        )
        self.published = Counter(
            "rax_evaluate_scorecards_published_total",
            "Scorecards written to rax.scorecards",
            registry=registry,
        )
        self.compute = Gauge(
            "rax_evaluate_publish_pass_seconds", "Duration of the last publishing pass", registry=registry
        )
        self.event_age = Gauge(
            "rax_evaluate_event_age_seconds", "Now minus the latest event time counted", registry=registry
        )
        rpq = [*rp, "quantile"]
        self.ack = Gauge(
            "rax_evaluate_time_to_acknowledge_seconds",
            "Time to acknowledge (quantile 0.5, 0.9)",
            rpq,
            registry=registry,
        )
        self.answer = Gauge(
            "rax_evaluate_time_to_answer_seconds",
            "Time to a final outcome (quantile 0.5, 0.9)",
            rpq,
            registry=registry,
        )
        self.breaches = Gauge(
            "rax_evaluate_deadline_breaches",
            "Deadline breaches in the period",
            [*rp, "stage"],
            registry=registry,
        )
        self.reporting = Gauge(
            "rax_evaluate_outcome_reporting_ratio", "Owed final outcomes reported", rp, registry=registry
        )
        self.interception = Gauge(
            "rax_evaluate_interception_ratio",
            "Intercepted / reported, per match kind",
            [*rp, "kind"],
            registry=registry,
        )
        self.false_hits = Gauge(
            "rax_evaluate_false_hit_ratio",
            "False positive / reported, per match kind",
            [*rp, "kind"],
            registry=registry,
        )
        self.checkpoints = Gauge(
            "rax_evaluate_checkpoints",
            "Checkpoints by status against their baseline",
            [*rp, "status"],
            registry=registry,
        )
        self.freshness = Gauge(
            "rax_evaluate_freshness_seconds",
            "Read → exchange delay (quantile 0.5, 0.9)",
            rpq,
            registry=registry,
        )
        for stream in ("audit", "matches", "acks", "hits", "requests"):
            for outcome in ("ok", "rejected"):
                self.records.labels(stream, outcome)

    def show(self, card: Scorecard) -> None:
        """The gauges of the current scorecard of one region and period (nan where there is no figure)."""
        labels = (card.region, card.period.value)
        nan = float("nan")
        for gauge, low, high in (
            (self.ack, card.acknowledge.p50_s, card.acknowledge.p90_s),
            (self.answer, card.answer.p50_s, card.answer.p90_s),
            (self.freshness, card.freshness.p50_s, card.freshness.p90_s),
        ):
            gauge.labels(*labels, "0.5").set(nan if low is None else low)
            gauge.labels(*labels, "0.9").set(nan if high is None else high)
        self.breaches.labels(*labels, "acknowledge").set(card.acknowledge.breaches)
        self.breaches.labels(*labels, "outcome").set(card.answer.breaches)
        rate = card.outcome_reporting_rate
        self.reporting.labels(*labels).set(nan if rate is None else rate)
        for k in card.outcomes:
            ir, fr = k.interception_rate, k.false_hit_rate
            self.interception.labels(*labels, k.kind.value).set(nan if ir is None else ir)
            self.false_hits.labels(*labels, k.kind.value).set(nan if fr is None else fr)
        for status in CheckpointStatus:
            n = sum(c.status == status for c in card.checkpoints)
            self.checkpoints.labels(*labels, status.value).set(n)
