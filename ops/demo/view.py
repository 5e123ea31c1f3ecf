"""The demo's live view: per region, what flows through the exchange, from the processes' own metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ops.demo.scrape import Samples

__all__ = ["WANTED", "Snapshot", "render", "summary_lines"]

#: sample name -> the label the view groups it by ('' = summed over everything)
WANTED = {
    "rax_hotpath_hits_total": "region",
    "rax_hotpath_duplicates_total": "region",
    "rax_hotpath_deliveries_total": "recipient",
    "rax_hotpath_sealed_deliveries_total": "",
    "rax_hotpath_matches_total": "kind",
    "rax_hotpath_dlq_total": "",
    "rax_hotpath_watchlist_entries": "",
    "rax_control_deliveries_total": "region",
    "rax_control_dead_letters_total": "",
    "rax_connector_records_rejected_total": "",
    "rax_connector_records_out_total": "region",
    "rax_hotpath_read_to_delivery_seconds_bucket": "le",
    "rax_escalate_operations_total": "trigger",
    "rax_runtime_forged_records_total": "",
}

#: the escalation rules whose operations the view counts (special operations, 专项)
_TRIGGERS = ("multi_region", "border", "cloned_plate", "convoy")


@dataclass
class Snapshot:
    """Two scrapes make rates; the newest is kept for totals."""

    at: float
    samples: Samples
    previous: Samples = field(default_factory=dict)
    seconds: float = 1.0

    def total(self, name: str, label: str = "") -> float:
        return self.samples.get((name, label), 0.0)

    def rate(self, name: str, label: str = "") -> float:
        return max(0.0, self.total(name, label) - self.previous.get((name, label), 0.0)) / max(
            self.seconds, 1e-9
        )

    def latency_p(self, q: float, window: bool = True) -> float | None:
        """Quantile of read-to-delivery from the histogram's buckets (over the last interval, or all time)."""
        name = "rax_hotpath_read_to_delivery_seconds_bucket"
        buckets = sorted(
            (
                (float(le), v - (self.previous.get((name, le), 0.0) if window else 0.0))
                for (n, le), v in self.samples.items()
                if n == name
            ),
            key=lambda b: b[0],
        )
        if not buckets or buckets[-1][1] <= 0:
            return None
        target = q * buckets[-1][1]
        for le, count in buckets:
            if count >= target:
                return le
        return None

    def dlq(self) -> float:
        return (
            self.total("rax_hotpath_dlq_total")
            + self.total("rax_control_dead_letters_total")
            + self.total("rax_connector_records_rejected_total")
        )


def _fmt_s(value: float | None) -> str:
    if value is None:
        return "—"
    return "> 30 s" if value == float("inf") else f"≤ {value * 1000:.0f} ms"


def render(snap: Snapshot, regions: list[tuple[str, str]], elapsed: float, zone: str = "川渝") -> Group:
    table = Table(title=f"RAX demo — {zone} exchange, {elapsed:.0f} s", expand=True)
    for col in ("region", "hits/s", "dups/s", "match deliveries", "alert deliveries"):
        table.add_column(col, justify="right" if col != "region" else "left")
    for code, name in regions:
        table.add_row(
            f"{code} {name}",
            f"{snap.rate('rax_hotpath_hits_total', code):,.0f}",
            f"{snap.rate('rax_hotpath_duplicates_total', code):,.1f}",
            f"{snap.total('rax_hotpath_deliveries_total', code):,.0f}",
            f"{snap.total('rax_control_deliveries_total', code):,.0f}",
        )
    kinds = ", ".join(
        f"{k} {snap.total('rax_hotpath_matches_total', k):,.0f}" for k in ("exact", "misread", "partial")
    )
    footer = Text(
        f"matches: {kinds}   read→delivery p99 {_fmt_s(snap.latency_p(0.99))} (last interval), "
        f"{_fmt_s(snap.latency_p(0.99, window=False))} (all)   dead letters: {snap.dlq():,.0f}"
    )
    return Group(table, footer, Text(f"special operations opened: {_operations(snap)}"))


def _operations(snap: Snapshot) -> str:
    return ", ".join(f"{t} {snap.total('rax_escalate_operations_total', t):,.0f}" for t in _TRIGGERS)


def summary_lines(snap: Snapshot, regions: list[tuple[str, str]], elapsed: float) -> list[str]:
    lines = [f"RAX demo summary after {elapsed:.0f} s"]
    for code, name in regions:
        lines.append(
            f"  {code} {name}: {snap.total('rax_hotpath_hits_total', code):,.0f} hits, "
            f"{snap.total('rax_hotpath_duplicates_total', code):,.0f} duplicates, "
            f"{snap.total('rax_hotpath_deliveries_total', code):,.0f} match deliveries, "
            f"{snap.total('rax_control_deliveries_total', code):,.0f} alert deliveries"
        )
    kinds = ", ".join(
        f"{k} {snap.total('rax_hotpath_matches_total', k):,.0f}" for k in ("exact", "misread", "partial")
    )
    lines.append(
        f"  matches: {kinds}; read→delivery p50 {_fmt_s(snap.latency_p(0.5, False))}, "
        f"p99 {_fmt_s(snap.latency_p(0.99, False))}; dead letters {snap.dlq():,.0f}"
    )
    lines.append(f"  special operations opened: {_operations(snap)}")
    sealed = snap.total("rax_hotpath_sealed_deliveries_total", "")
    if sealed:
        lines.append(f"  sealed match deliveries (opened only with the recipient's key): {sealed:,.0f}")
    forged = snap.total("rax_runtime_forged_records_total", "")
    if sealed or forged:  # a protected zone (the processors require MACs and signatures), or an attack
        lines.append(f"  records refused as forged (no valid MAC or batch signature): {forged:,.0f}")
    return lines
