"""The escalate processor's Prometheus metrics, made by a factory on a given registry (bounded labels)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from schemas.operation import EscalationTrigger
from streams.escalate.closing import OUTCOMES

__all__ = ["EscalateMetrics", "escalate_metrics"]


@dataclass(frozen=True)
class EscalateMetrics:
    """Operations opened by rule, ended by rule and outcome, open now; refusals by reason, skipped
    inputs by reason, time from the last and from the first evidence read to the operation."""

    operations: Counter
    refusals: Counter
    skipped: Counter
    read_to_escalation: Histogram
    first_read_to_escalation: Histogram
    closed: Counter
    temporary_deliveries: Counter
    open: Gauge


def escalate_metrics(registry: CollectorRegistry) -> EscalateMetrics:
    """Creates the metrics on ``registry``; every trigger label is initialised at start-up."""
    ns, sub = "rax", "escalate"
    m = EscalateMetrics(
        operations=Counter(
            "operations",
            "Special operations opened, by rule.",
            ["trigger"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        refusals=Counter(
            "refusals",
            "Operation deliveries refused, by reason.",
            ["reason"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        skipped=Counter(
            "skipped",
            "Inputs not escalated, by reason (undecodable, impersonation, no_rules, closed_already, "
            "unknown_inbox_kind, same_plate).",
            ["reason"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        read_to_escalation=Histogram(
            "read_to_escalation_seconds",
            "From the pass time of the last evidence read to the operation.",
            namespace=ns,
            subsystem=sub,
            registry=registry,
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
        ),
        first_read_to_escalation=Histogram(
            "first_read_to_escalation_seconds",
            "From the pass time of the first evidence read to the operation, by rule: how long a "
            "pattern ran before the exchange saw it.",
            ["trigger"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
            buckets=(1, 10, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 24 * 3600),
        ),
        closed=Counter(
            "operations_closed",
            "Operations ended, by rule and outcome (the owner's, or expired): hit rates per rule.",
            ["rule", "outcome"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        temporary_deliveries=Counter(
            "temporary_deliveries",
            "Matches delivered to an operation's members under its temporary agreement.",
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        open=Gauge(
            "open_operations",
            "Operations open in this worker's partitions.",
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
    )
    for trigger in EscalationTrigger:
        m.operations.labels(trigger.value)
        for outcome in OUTCOMES:
            m.closed.labels(trigger.value, outcome)
    return m
