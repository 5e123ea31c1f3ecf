"""The escalate processor's Prometheus metrics, made by a factory on a given registry (bounded labels)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from schemas.operation import EscalationTrigger

__all__ = ["EscalateMetrics", "escalate_metrics"]


@dataclass(frozen=True)
class EscalateMetrics:
    """Operations opened by rule, refusals by reason, skipped inputs by reason, read-to-escalation time."""

    operations: Counter
    refusals: Counter
    skipped: Counter
    read_to_escalation: Histogram


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
            "Inputs not escalated, by reason (undecodable, impersonation, no_rules).",
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
    )
    for trigger in EscalationTrigger:
        m.operations.labels(trigger.value)
    return m
