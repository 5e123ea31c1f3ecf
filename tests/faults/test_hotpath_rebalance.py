"""Two hot-path workers on the secured broker: one joins mid-stream, then the first leaves; nothing lost or
twice, dedup kept."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ops.kafka import LocalCluster
from schemas.codec import decode
from schemas.delivery import Delivery
from schemas.topics import Catalogue
from tests.support.hotpath import HitFactory, make_entry, publish_entries
from tests.support.kafka import consume_all, wait_until_committed
from tests.support.secure import SecureZone, secure_zone_on

MATCHING = 150


def _start(zone: SecureZone, worker_id: str, log: Path) -> subprocess.Popen[bytes]:
    args, env = zone.cli(zone.processors)  # the processors' own identity on the secured broker
    cmd = [sys.executable, "-m", "ops.cli", "-v", "run", "hotpath", *args]
    cmd += ["--namespace", zone.cat.namespace, "--worker-id", worker_id, "--batch-size", "100"]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)


def test_a_worker_joining_and_one_leaving_lose_and_repeat_nothing(
    secured_cluster: tuple[LocalCluster, Path], catalogue: Catalogue, tmp_path: Path
) -> None:
    zone = secure_zone_on(*secured_cluster, catalogue, hit_partitions=6)
    cat, kafka = zone.cat, zone.admin  # the operator reads what the test checks
    entries = [make_entry("510521", f"川A{i:05d}", tolerance=0) for i in range(MATCHING)]
    publish_entries(zone.processors, cat, entries)
    logs = [tmp_path / "w0.log", tmp_path / "w1.log"]
    workers = [_start(zone, "0", logs[0])]
    hits = HitFactory(zone.region("510521"), cat)
    start = datetime.now(UTC) - timedelta(seconds=5)
    try:
        for i in range(MATCHING):
            for j in range(10):
                hits.send("510521", f"渝B{(i * 10 + j) % 100000:05d}")
            # each matching plate passes twice, 1 s apart: the second read is a duplicate, whoever owns it
            t = start + timedelta(milliseconds=20 * i)
            hits.send("510521", f"川A{i:05d}", checkpoint="510521-K0001", pass_time=t)
            hits.send("510521", f"川A{i:05d}", checkpoint="510521-K0001", pass_time=t + timedelta(seconds=1))
            hits.producer.poll(0)
            time.sleep(0.02)
            if i == MATCHING // 3:
                workers.append(_start(zone, "1", logs[1]))  # joins: partitions move to it
            if i == 2 * MATCHING // 3:
                workers[0].send_signal(signal.SIGTERM)  # leaves: its partitions move back
                workers[0].wait(30)
        hits.flush()
        deadline = time.monotonic() + 90
        got: list[Delivery] = []
        while time.monotonic() < deadline:
            got = [decode(m.value() or b"", Delivery) for m in consume_all(kafka, cat.out("510521"))]
            if len(got) >= MATCHING:
                break
            time.sleep(1.0)
        # every hit committed: a duplicate delivery would be on the out topic by now
        wait_until_committed(kafka, f"{cat.processor_prefix}hotpath", [cat.in_hits("510521")])
        got = [decode(m.value() or b"", Delivery) for m in consume_all(kafka, cat.out("510521"))]
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                w.wait(30)
    ids = Counter(d.delivery_id for d in got)
    assert not [i for i, n in ids.items() if n > 1], "a delivery id appears twice"
    per_entry = Counter(d.match.entry_id for d in got if d.match)
    missing = {e.entry_id for e in entries} - set(per_entry)
    assert not missing, f"{len(missing)} lost; logs: {logs[1].read_text()[-2000:]}"
    twice = [e for e, n in per_entry.items() if n > 1]
    assert not twice, f"{len(twice)} passes delivered twice: dedup state was not handed over"
