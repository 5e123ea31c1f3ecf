"""The hot-path worker SIGKILLed three times mid-stream on the secured broker, running as the processors'
identity: read committed, nothing lost, nothing twice."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from schemas.codec import decode
from schemas.delivery import Delivery
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.support.hotpath import HitFactory, make_entry, publish_entries
from tests.support.kafka import consume_all, wait_until_committed
from tests.support.secure import SecureZone

MATCHING = 150  # plates on the watchlist, each seen once
NOISE_PER_MATCH = 20  # hits that match nothing, between two matching ones


def _start_worker(zone: SecureZone, cat: Catalogue, log: Path) -> subprocess.Popen[bytes]:
    args, env = zone.cli(zone.processors)
    cmd = [
        sys.executable,
        "-m",
        "ops.cli",
        "run",
        "hotpath",
        *args,
        "--namespace",
        cat.namespace,
        "--worker-id",
        "0",
        "--batch-size",
        "200",
    ]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)


def _deliveries(kafka: KafkaSettings, cat: Catalogue) -> list[Delivery]:
    out = []
    for region in ("510521", "500153"):
        out += [decode(m.value() or b"", Delivery) for m in consume_all(kafka, cat.out(region))]
    return out


def test_sigkill_three_times_loses_nothing_and_duplicates_nothing(
    secure_zone: SecureZone, tmp_path: Path
) -> None:
    cat, kafka = secure_zone.cat, secure_zone.admin  # the operator reads what the test checks
    entries = [make_entry("510521", f"川A{i:05d}", tolerance=0) for i in range(MATCHING)]  # 1/7 look alike
    publish_entries(secure_zone.processors, cat, entries)
    log = tmp_path / "worker.log"
    worker = _start_worker(secure_zone, cat, log)
    hits = HitFactory(secure_zone.region("500153"), cat)
    kills = 0
    kill_every = MATCHING // 4
    try:
        for i in range(MATCHING):
            for j in range(NOISE_PER_MATCH):
                hits.send("500153", f"渝B{(i * NOISE_PER_MATCH + j) % 100000:05d}")
            hits.send(
                "500153", f"川A{i:05d}"
            )  # seen in 荣昌: the owner 泸县 and 荣昌 (joint office) receive it
            hits.flush()
            time.sleep(0.03)
            if i and i % kill_every == 0 and kills < 3:
                worker.send_signal(signal.SIGKILL)
                worker.wait(10)
                kills += 1
                worker = _start_worker(secure_zone, cat, log)
        expected = 2 * MATCHING
        deadline = time.monotonic() + 90
        got = _deliveries(kafka, cat)
        while len(got) < expected and time.monotonic() < deadline:
            time.sleep(1.0)
            got = _deliveries(kafka, cat)
        # every hit committed: a duplicate delivery would be on the out topics by now
        wait_until_committed(kafka, f"{cat.processor_prefix}hotpath", [cat.in_hits("500153")])
        got = _deliveries(kafka, cat)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)

    assert kills == 3
    ids = Counter(d.delivery_id for d in got)
    twice = [i for i, n in ids.items() if n > 1]
    assert not twice, f"{len(twice)} delivery ids appear more than once"
    delivered = {(d.match.entry_id, d.recipient) for d in got if d.match}
    expected_pairs = {(e.entry_id, r) for e in entries for r in ("510521", "500153")}
    missing = expected_pairs - delivered
    assert not missing, (
        f"{len(missing)} of {len(expected_pairs)} deliveries lost; worker log: {log.read_text()[-2000:]}"
    )
    assert len(got) == 2 * MATCHING
    match_ids = Counter(m.key() for m in consume_all(kafka, cat.matches))
    assert all(n == 1 for n in match_ids.values()) and len(match_ids) == MATCHING
