"""The (secured) broker stopped for 20 s under load: the hot path and the control app, each running as the
processors' identity, resume by themselves, lose nothing, repeat nothing, and a SIGTERM during an outage
still ends a worker within seconds."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from ops.kafka import LocalCluster
from schemas.codec import decode, encode
from schemas.delivery import Delivery
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.support.hotpath import HitFactory, make_entry, producer, publish_entries
from tests.support.kafka import consume_all, unique, wait_until_committed
from tests.support.secure import SecureZone, secure_zone_on, secured_cluster_in
from tests.unit.models_factories import zone_alert

MATCHING = 120
ALERTS = 90
# an alert of 四川 about a stolen vehicle reaches 四川 itself, 重庆 and 荣昌 (see ops/zones/chuanyu.yaml)
ALERT_RECIPIENTS = ("500000", "500153", "510000")
OUTAGE_S = 20.0


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalCluster, Path]]:
    """A secured broker of this module alone (stopping it must not disturb the other tests' brokers)."""
    with secured_cluster_in(tmp_path_factory.mktemp("outage")) as secured:
        yield secured


def _zone(own: tuple[LocalCluster, Path]) -> SecureZone:
    return secure_zone_on(own[0], own[1], Catalogue(unique("t").replace("-", "")))


def _start(zone: SecureZone, log: Path, processor: str = "hotpath") -> subprocess.Popen[bytes]:
    args, env = zone.cli(zone.processors)  # the processors' own identity, as in production
    cmd = [sys.executable, "-m", "ops.cli", "-v", "run", processor, *args]
    cmd += ["--namespace", zone.cat.namespace, "--worker-id", "0"]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)


def _deliveries(kafka: KafkaSettings, cat: Catalogue) -> list[Delivery]:
    return [decode(m.value() or b"", Delivery) for m in consume_all(kafka, cat.out("510521"))]


def _wait_for_deliveries(kafka: KafkaSettings, cat: Catalogue, count: int) -> list[Delivery]:
    """泸县's deliveries, read committed, once ``count`` distinct ones are there (or after 120 s)."""
    deadline = time.monotonic() + 120
    got = _deliveries(kafka, cat)
    while len({d.delivery_id for d in got}) < count and time.monotonic() < deadline:
        time.sleep(1.0)
        got = _deliveries(kafka, cat)
    return got


def _assert_each_match_once(got: list[Delivery], entries: list[Any], log: Path) -> None:
    ids = Counter(d.delivery_id for d in got)
    assert not [i for i, n in ids.items() if n > 1], "a delivery id appears twice"
    missing = {e.entry_id for e in entries} - {d.match.entry_id for d in got if d.match}
    assert not missing, f"{len(missing)} matches lost; worker log: {log.read_text()[-3000:]}"


def test_hot_path_resumes_by_itself_after_a_broker_outage(
    own_broker: tuple[LocalCluster, Path], tmp_path: Path
) -> None:
    zone = _zone(own_broker)
    cluster, kafka, cat = own_broker[0], zone.admin, zone.cat  # the operator reads what is checked
    entries = [make_entry("510521", f"川A{i:05d}", tolerance=0) for i in range(MATCHING)]
    publish_entries(zone.processors, cat, entries)
    log = tmp_path / "worker.log"
    worker = _start(zone, log)
    hits = HitFactory(zone.region("510521"), cat)
    try:
        for i in range(MATCHING):
            for j in range(10):
                hits.send("510521", f"渝B{(i * 10 + j) % 100000:05d}")
            hits.send("510521", f"川A{i:05d}")
            if i == MATCHING // 3:
                hits.flush()
                cluster.kill_node(1)  # mid-stream: the worker may still be starting, or mid-transaction
                outage_end = time.monotonic() + OUTAGE_S
            if i == 2 * MATCHING // 3:
                time.sleep(max(0.0, outage_end - time.monotonic()))
                cluster.restart_node(1)
            hits.producer.poll(0)
            time.sleep(0.01)
        hits.flush()
        got = _wait_for_deliveries(kafka, cat, MATCHING)
        assert worker.poll() is None, f"the worker exited: {log.read_text()[-3000:]}"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    _assert_each_match_once(got, entries, log)


def test_hot_path_caught_up_resumes_after_an_outage(
    own_broker: tuple[LocalCluster, Path], tmp_path: Path
) -> None:
    """The worker is fully running (joined, delivering) when the broker goes: a static member the restarted
    coordinator fences must be replaced by the loop, not left polling a dead consumer."""
    zone = _zone(own_broker)
    cluster, kafka, cat = own_broker[0], zone.admin, zone.cat
    entries = [make_entry("510521", f"川A{i:05d}", tolerance=0) for i in range(MATCHING)]
    publish_entries(zone.processors, cat, entries)
    log = tmp_path / "worker.log"
    worker = _start(zone, log)
    hits = HitFactory(zone.region("510521"), cat)
    half = MATCHING // 2

    def send(plates: range) -> None:
        for i in plates:
            hits.send("510521", f"渝B{i:05d}")
            hits.send("510521", f"川A{i:05d}")
        hits.flush()

    try:
        send(range(half))
        got = _wait_for_deliveries(kafka, cat, half)
        assert len(got) >= half, f"not running before the outage: {log.read_text()[-3000:]}"
        cluster.kill_node(1)
        time.sleep(OUTAGE_S)
        cluster.restart_node(1)
        send(range(half, MATCHING))
        got = _wait_for_deliveries(kafka, cat, MATCHING)
        assert worker.poll() is None, f"the worker exited: {log.read_text()[-3000:]}"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    _assert_each_match_once(got, entries, log)


def test_sigterm_during_an_outage_ends_the_worker_in_seconds(
    own_broker: tuple[LocalCluster, Path], tmp_path: Path
) -> None:
    zone = _zone(own_broker)
    cluster = own_broker[0]
    log = tmp_path / "worker.log"
    worker = _start(zone, log)
    hits = HitFactory(zone.region("510521"), zone.cat)
    try:
        for i in range(200):
            hits.send("510521", f"渝B{i:05d}")
        hits.flush()
        # the worker is up and has committed what it read
        wait_until_committed(zone.admin, f"{zone.cat.processor_prefix}hotpath", [zone.cat.in_hits("510521")])
        cluster.kill_node(1)
        time.sleep(3.0)
        t0 = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
        took = time.monotonic() - t0
    finally:
        if worker.poll() is None:
            worker.kill()
        cluster.restart_node(1)
    assert took < 25.0, f"SIGTERM took {took:.1f} s during an outage; log: {log.read_text()[-2000:]}"


def test_control_app_resumes_by_itself_after_a_broker_outage(
    own_broker: tuple[LocalCluster, Path], tmp_path: Path
) -> None:
    zone = _zone(own_broker)
    cluster, kafka, cat = own_broker[0], zone.admin, zone.cat
    log = tmp_path / "control.log"
    worker = _start(zone, log, "control")
    alerts = [zone_alert("510000", identifier=f"OUTAGE-{n:04d}", plates=[]) for n in range(ALERTS)]
    p = producer(zone.region("510000"))
    try:
        for n, a in enumerate(alerts):
            p.produce(cat.in_alerts("510000"), encode(a), a.identifier.encode())
            p.poll(0)
            time.sleep(0.02)
            if n == ALERTS // 3:
                p.flush(30)
                cluster.kill_node(1)
                outage_end = time.monotonic() + OUTAGE_S
            if n == 2 * ALERTS // 3:
                time.sleep(max(0.0, outage_end - time.monotonic()))
                cluster.restart_node(1)
        assert p.flush(60) == 0
        total = ALERTS * len(ALERT_RECIPIENTS)
        deadline = time.monotonic() + 120
        got = _alert_deliveries(kafka, cat)
        while len({d["delivery_id"] for d in got}) < total and time.monotonic() < deadline:
            time.sleep(1.0)
            got = _alert_deliveries(kafka, cat)
        assert worker.poll() is None, f"the control app exited: {log.read_text()[-3000:]}"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    ids = Counter(d["delivery_id"] for d in got)
    assert not [i for i, n in ids.items() if n > 1], "a delivery id appears twice"
    reached = {(d["alert"]["identifier"], d["recipient"]) for d in got}
    missing = {(a.identifier, r) for a in alerts for r in ALERT_RECIPIENTS} - reached
    assert not missing, f"{len(missing)} deliveries lost; log: {log.read_text()[-3000:]}"


def _alert_deliveries(kafka: KafkaSettings, cat: Catalogue) -> list[dict[str, Any]]:
    return [
        orjson.loads(m.value() or b"{}") for r in ALERT_RECIPIENTS for m in consume_all(kafka, cat.out(r))
    ]
