"""The conformance suite, run over every built-in connector against the real broker.

Each connector runs as a real process (`python -m ops.cli connector run …`): it starts, publishes, serves
metrics and stops cleanly on SIGTERM; killed with SIGKILL mid-stream and restarted it loses nothing and
re-sends nothing it had stored as done (a re-sent record keeps its event id); bad input reaches the DLQ
with its reason and the original bytes, and the connector goes on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from confluent_kafka import KafkaException, Message
from prometheus_client.parser import text_string_to_metric_families

from connectors.registry import BUILTIN
from schemas.dlq import parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.integration.connectors.drivers import DRIVERS, REGION, Driver
from tests.support.kafka import consume_all, create_topics

ROOT = Path(__file__).parents[2]
Env = tuple[KafkaSettings, Catalogue, Path]


def test_every_builtin_connector_has_a_driver() -> None:
    assert set(DRIVERS) == set(BUILTIN)


@pytest.fixture
def env(kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path) -> Env:
    create_topics(kafka, catalogue.region_topics(REGION, hit_partitions=3) + catalogue.shared_topics(3))
    return kafka, catalogue, tmp_path


def _start(driver: Driver, env: Env, *extra: str) -> subprocess.Popen[bytes]:
    kafka, catalogue, tmp_path = env
    cmd = [
        sys.executable, "-m", "ops.cli", "-v", "connector", "run", driver.name, "--region", REGION,
        "--namespace", catalogue.namespace, "--bootstrap", kafka.bootstrap_servers,
        "--state-dir", str(tmp_path / "state"), "--metrics-port", str(driver.metrics_port),
        *extra, *driver.args(),
    ]  # fmt: skip
    env_vars = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = (tmp_path / "connector.log").open("ab")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env_vars, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    driver.settle()
    return proc


def _stop(proc: subprocess.Popen[bytes], log: Path, ends: bool = False) -> None:
    if not ends:
        proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert proc.returncode == 0, log.read_text(encoding="utf-8", errors="replace")


def _consume(kafka: KafkaSettings, topic: str, **kw: Any) -> list[Message]:
    """consume_all, retried while a just-created topic's partitions still elect their leaders."""
    for attempt in range(20):
        try:
            return consume_all(kafka, topic, **kw)
        except KafkaException:
            if attempt == 19:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def _topic(catalogue: Catalogue, kind: str) -> str:
    by_kind = {"hits": catalogue.in_hits, "watchlist": catalogue.in_watchlist, "alerts": catalogue.in_alerts}
    return by_kind[kind](REGION)


def _wait(condition: Callable[[], object], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _metric(port: int, name: str, **labels: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    raise AssertionError(f"metric {name}{labels} not served")


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_kill_restart_loses_nothing_and_resends_nothing_stored(name: str, env: Env) -> None:
    kafka, catalogue, tmp_path = env
    driver = DRIVERS[name](tmp_path)
    state = tmp_path / "state"
    half = driver.total // 2 // driver.chunk * driver.chunk
    # a long linger keeps records produced-but-unacknowledged for a while: a kill lands in that window
    proc = _start(driver, env, "--set", "linger.ms=300")
    try:
        driver.feed(0, half)
        _wait(lambda: driver.done(state))
        assert _metric(driver.metrics_port, "rax_connector_records_in_total", connector=name) > 0

        def rest() -> None:
            for start in range(half, driver.total, driver.chunk):
                driver.feed(start, start + driver.chunk)
                time.sleep(0.01)

        feeder = threading.Thread(target=rest)
        feeder.start()
        time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)  # mid-stream: the feeder is still going
        proc.wait(30)
    feeder.join(60)
    done = driver.done(state)
    assert 0 < len(done) < driver.total, f"{len(done)} of {driver.total} done at the kill: not mid-stream"

    proc = _start(driver, env)
    try:
        if name == "checkpoint-http":  # a client sends again everything it got no 202 for
            for start in range(0, driver.total, driver.chunk):
                if not set(range(start, start + driver.chunk)) <= done:
                    driver.feed(start, start + driver.chunk)
        # every item stored as done: the broker acknowledged each send, a re-sent copy too, so reading
        # the topic to its end now sees every copy there will be
        _wait(lambda: set(range(driver.total)) <= driver.done(state))
        records = _consume(kafka, _topic(catalogue, driver.kind))
    finally:
        _stop(proc, tmp_path / "connector.log", driver.ends)

    ids: dict[int, set[str]] = defaultdict(set)
    copies: dict[int, int] = defaultdict(int)
    for msg in records:
        value = orjson.loads(msg.value())
        item = driver.item(msg)
        ids[item].add(value.get("event_id") or value.get("command_id") or value["identifier"])
        copies[item] += 1
    missing = sorted(set(range(driver.total)) - set(ids))
    assert not missing, f"lost: {missing[:10]}"
    assert all(len(v) == 1 for v in ids.values()), "a re-sent record changed its event id"
    resent = sorted(i for i in done if copies[i] > 1)
    assert not resent, f"re-sent records that were stored as done: {resent[:10]}"


@pytest.mark.parametrize("name", sorted(n for n in BUILTIN if n != "simulator"))
def test_bad_input_reaches_the_dlq_and_the_connector_goes_on(name: str, env: Env) -> None:
    kafka, catalogue, tmp_path = env
    driver = DRIVERS[name](tmp_path)
    proc = _start(driver, env)
    try:
        raw = driver.feed_bad()
        driver.feed(0, 5)
        dead = _consume(kafka, catalogue.dlq("connector", REGION), expect=1, timeout=20)
        good = _consume(kafka, _topic(catalogue, driver.kind), expect=5, timeout=20)
        letter = parse_dlq_headers(dead[0].headers()) if dead else None
        counted = letter and _metric(
            driver.metrics_port,
            "rax_connector_records_rejected_total",
            connector=name,
            reason=letter.reason.value,
        )
    finally:
        _stop(proc, tmp_path / "connector.log")
    assert len(dead) == 1 and dead[0].value() == raw
    assert letter is not None and letter.component == "connector" and letter.error
    assert dict(dead[0].headers() or [])["rax.connector.name"] == name.encode()
    assert len(good) == 5, "the connector stopped after the bad record"
    assert counted == 1.0
