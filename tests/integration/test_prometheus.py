"""A real Prometheus server scrapes a running hot-path worker on 127.0.0.1: the key series exist and move."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.request import urlopen

import orjson
import pytest
from prometheus_client import CollectorRegistry, start_http_server

from ops.kafka.ports import free_port
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.support.hotpath import HitFactory, apply_example_zone, make_entry, publish_entries, running_worker

ROOT = Path(__file__).parents[2]
PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(
    PROMETHEUS is None, reason="prometheus (Debian package) is not installed; .ci/run installs it"
)


def _query(port: int, expr: str) -> list[dict[str, Any]]:
    with urlopen(f"http://127.0.0.1:{port}/api/v1/query?query={quote(expr)}", timeout=5) as resp:
        body = orjson.loads(resp.read())
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def _wait_value(port: int, expr: str, ok: Any, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    last: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        try:
            last = _query(port, expr)
        except OSError:
            last = []
        if last and ok(float(last[0]["value"][1])):
            return float(last[0]["value"][1])
        time.sleep(0.5)
    raise AssertionError(f"{expr} never satisfied the condition; last result {last}")


def test_prometheus_scrapes_the_hot_path_and_its_series_move(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = catalogue
    apply_example_zone(kafka, cat)
    publish_entries(kafka, cat, [make_entry("510521", "川A99999")])
    metrics_port, prom_port = free_port(), free_port()
    registry = CollectorRegistry()
    server, _thread = start_http_server(metrics_port, addr="127.0.0.1", registry=registry)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: ['{ROOT / 'ops' / 'prometheus' / 'rules.yml'}']\n"
        "scrape_configs:\n"
        f"  - job_name: rax-hotpath\n    static_configs: [{{targets: ['127.0.0.1:{metrics_port}']}}]\n",
        encoding="utf-8",
    )
    assert PROMETHEUS is not None
    prom = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with running_worker(kafka, cat, registry=registry):
            assert _wait_value(prom_port, 'up{job="rax-hotpath"}', lambda v: v == 1) == 1
            hits = HitFactory(kafka, cat)
            for i in range(50):
                hits.send("510521", f"川A{i:05d}")
            hits.send("510521", "川A99999")
            hits.flush()
            first = _wait_value(prom_port, "sum(rax_hotpath_hits_total)", lambda v: v >= 51)
            _wait_value(prom_port, 'sum(rax_hotpath_matches_total{kind="exact"})', lambda v: v >= 1)
            _wait_value(prom_port, "sum(rax_hotpath_deliveries_total)", lambda v: v >= 1)
            _wait_value(prom_port, "rax_hotpath_watchlist_entries", lambda v: v == 1)
            for i in range(30):
                hits.send("500153", f"渝A{i:05d}")
            hits.flush()
            _wait_value(prom_port, "sum(rax_hotpath_hits_total)", lambda v: v >= first + 30)
            assert _query(prom_port, "rax_hotpath_read_to_delivery_seconds_count")
        with urlopen(f"http://127.0.0.1:{prom_port}/api/v1/rules", timeout=5) as resp:
            groups = orjson.loads(resp.read())["data"]["groups"]
        assert {r["name"] for g in groups for r in g["rules"]} >= {"RaxDeadLetters", "RaxCheckpointSilent"}
    finally:
        prom.terminate()
        prom.wait(20)
        server.shutdown()
        server.server_close()
