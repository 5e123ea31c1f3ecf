"""The hot path's Prometheus metrics, made by a factory on a given registry (seconds, bounded labels)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from schemas.dlq import DlqReason

__all__ = ["HotpathMetrics", "hotpath_metrics"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class HotpathMetrics:
    """Every series the hot path moves; labels are regions, kinds and reasons, never plates or ids."""

    hits: Counter
    duplicates: Counter
    withheld: Counter
    matches: Counter
    deliveries: Counter
    sealed: Counter
    refusals: Counter
    dlq: Counter
    batch_size: Histogram
    batch_seconds: Histogram
    latency: Histogram
    watchlist_entries: Gauge
    watchlist_freshness: Gauge
    aborts: Counter
    silent_checkpoints: Gauge


def hotpath_metrics(registry: CollectorRegistry, regions: list[str] | None = None) -> HotpathMetrics:
    """Creates the metrics on ``registry`` and initialises the label values known at start-up."""
    ns, sub = "rax", "hotpath"
    m = HotpathMetrics(
        hits=Counter(
            "hits",
            "Checkpoint hits read, by region of the topic.",
            ["region"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        duplicates=Counter(
            "duplicates",
            "Matching hits dropped as duplicates of an accepted pass (unmatched hits are not deduplicated).",
            ["region"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        withheld=Counter(
            "misreads_withheld",
            "Misread matches not delivered: the read is a known vehicle (seen at 2+ checkpoints).",
            ["region"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        matches=Counter(
            "matches",
            "Watchlist matches, by how they matched.",
            ["kind"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        deliveries=Counter(
            "deliveries",
            "Matches delivered, by recipient region.",
            ["recipient"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        sealed=Counter(
            "sealed_deliveries",
            "Matches delivered sealed to the recipient's key (an agreement says seal, or a blind entry).",
            ["recipient"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        refusals=Counter(
            "refusals",
            "Deliveries refused, by reason.",
            ["reason"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        dlq=Counter(
            "dlq",
            "Records sent to the dead-letter topic, by reason.",
            ["reason"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        batch_size=Histogram(
            "batch_size_records",
            "Records per transaction.",
            buckets=(1, 10, 100, 500, 1000, 2000, 5000, 10000, 50000),
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        batch_seconds=Histogram(
            "batch_seconds",
            "Time to process and commit one batch.",
            buckets=_LATENCY_BUCKETS,
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        latency=Histogram(
            "read_to_delivery_seconds",
            "From the camera read (pass time) to the committed delivery.",
            buckets=_LATENCY_BUCKETS,
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        watchlist_entries=Gauge(
            "watchlist_entries",
            "Entries in the in-memory watchlist.",
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        watchlist_freshness=Gauge(
            "watchlist_age_seconds",
            "Seconds since the watchlist topic was last read to its end.",
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        silent_checkpoints=Gauge(
            "silent_checkpoints",
            "Checkpoints seen before that sent no hit for the configured silence (a camera or feed down).",
            ["region"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
        aborts=Counter(
            "transaction_aborts",
            "Transactions aborted and replayed.",
            ["cause"],
            namespace=ns,
            subsystem=sub,
            registry=registry,
        ),
    )
    for kind in ("exact", "misread", "partial"):
        m.matches.labels(kind)
    for reason in DlqReason:
        m.dlq.labels(reason.value)
    for region in regions or ():
        m.hits.labels(region)
        m.duplicates.labels(region)
        m.withheld.labels(region)
    return m
