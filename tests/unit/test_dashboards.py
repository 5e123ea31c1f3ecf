"""The Grafana dashboards are valid, provisioned, and query only series that RAX processes export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from streams.hotpath.metrics import hotpath_metrics
from streams.runtime.metrics import runtime_metrics

ROOT = Path(__file__).parents[2]
DASHBOARDS = sorted((ROOT / "ops" / "grafana" / "dashboards").glob("*.json"))


def _exported() -> set[str]:
    registry = CollectorRegistry()
    hotpath_metrics(registry, ["510000"])
    from connectors.sdk.metrics import connector_metrics
    from streams.control.metrics import ControlMetrics

    ControlMetrics(registry)
    connector_metrics(registry, "simulator", "510000")
    runtime_metrics(registry, "hotpath")
    from streams.escalate.metrics import escalate_metrics

    escalate_metrics(registry)
    from streams.evaluate.metrics import EvaluateMetrics

    EvaluateMetrics(registry)
    names = set()
    for family in registry.collect():
        names |= {s.name for s in family.samples} | {family.name}
        if family.type == "counter":  # a labelled counter without samples yet still exports name_total
            names.add(f"{family.name}_total")
        if family.type == "histogram":
            names |= {f"{family.name}_{suffix}" for suffix in ("bucket", "count", "sum")}
    return names


def test_there_are_the_five_dashboards() -> None:
    assert {p.stem for p in DASHBOARDS} == {
        "exchange-overview",
        "per-region",
        "latency",
        "operations",
        "scorecards",
    }


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_queries_only_exported_series(path: Path) -> None:
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    assert dashboard["uid"].startswith("rax-") and dashboard["panels"]
    exported = _exported()
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "rax-prometheus"
        for target in panel["targets"]:
            used = set(re.findall(r"\brax_[a-z_]+", target["expr"]))
            assert used, f"{panel['title']}: no RAX series in {target['expr']}"
            unknown = used - exported
            assert not unknown, f"{path.stem} / {panel['title']} queries series nobody exports: {unknown}"


def test_provisioning_points_at_the_dashboards_and_the_datasource_they_use() -> None:
    prov = ROOT / "ops" / "grafana" / "provisioning"
    ds = yaml.safe_load((prov / "datasources" / "prometheus.yml").read_text(encoding="utf-8"))
    assert [d["uid"] for d in ds["datasources"]] == ["rax-prometheus"]
    dash = yaml.safe_load((prov / "dashboards" / "rax.yml").read_text(encoding="utf-8"))
    assert dash["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
