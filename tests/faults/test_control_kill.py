"""The control app killed with SIGKILL mid-stream and restarted: no alert lost, no delivery id twice."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from schemas.alerts import Alert
from schemas.codec import encode
from schemas.topics import Catalogue
from tests.integration.test_control_helpers import (
    ControlWorker,
    chuanyu,
    dead_letters,
    producer,
    read,
    wait_for,
)
from tests.support.kafka import unique
from tests.unit.models_factories import zone_alert

# an alert of 四川 about a stolen vehicle reaches 四川 itself, 重庆 and 荣昌 (see ops/zones/chuanyu.yaml)
RECIPIENTS = ("500000", "500153", "510000")
ALERTS = 400
RATE = 100.0  # alerts per second


def alert(n: int, tag: str) -> Alert:
    return zone_alert("510000", identifier=f"KILL-{tag}-{n:05d}", plates=[])


def _deliveries(kafka: Any, cat: Catalogue) -> list[dict[str, Any]]:
    return [
        orjson.loads(m.value()) | {"_at": (m.topic(), m.partition(), m.offset())}
        for r in RECIPIENTS
        for m in read(kafka, cat.out(r))
    ]


def test_sigkill_mid_stream_loses_no_alert_and_repeats_no_delivery(broker: Any, tmp_path: Path) -> None:
    kafka, cat, tag = broker.settings, Catalogue(unique("kill").replace("-", "")), uuid.uuid4().hex[:6]
    chuanyu(kafka, cat)
    worker = ControlWorker(kafka, cat, tmp_path, "--stall-seconds", "10")
    alerts = [alert(n, tag) for n in range(ALERTS)]

    def publish_steadily() -> None:
        p = producer(kafka)
        start = time.monotonic()
        for n, a in enumerate(alerts):
            time.sleep(max(0.0, start + n / RATE - time.monotonic()))
            p.produce(cat.in_alerts("510000"), key=a.identifier.encode(), value=encode(a))
            p.poll(0)
        assert p.flush(30) == 0

    sender = threading.Thread(target=publish_steadily)
    try:
        worker.start()
        sender.start()
        wait_for(lambda: len(_deliveries(kafka, cat)) >= 300, 30, "deliveries before the kill")
        worker.kill()  # mid-stream: the publisher is still sending
        before = len(_deliveries(kafka, cat))
        sender.join(30)
        assert before < ALERTS * len(RECIPIENTS), (
            "the kill came after the stream ended: not a mid-stream kill"
        )
        worker.start()
        try:
            wait_for(
                lambda: worker.supervise() or len(_deliveries(kafka, cat)) >= ALERTS * len(RECIPIENTS),
                60,
                "all",
            )
        except AssertionError as exc:
            metrics = [ln for ln in worker.get("/metrics")[1].decode().splitlines() if "records_total{" in ln]
            assert worker.proc is not None
            have = Counter(d["alert"]["identifier"] for d in _deliveries(kafka, cat))
            short = {a.identifier: have[a.identifier] for a in alerts if have[a.identifier] < len(RECIPIENTS)}
            inputs = {
                m.key().decode(): (m.partition(), m.offset()) for m in read(kafka, cat.in_alerts("510000"))
            }
            where = {i: inputs.get(i) for i in short}
            log = worker.log_lines("ledger", "replay", "control app ready", "exiting", "ERROR", "WARN")
            raise AssertionError(
                f"{exc}; missing {short} at {where}; {metrics}; the restarted worker:\n{log}"
            ) from None
        time.sleep(2.0)  # anything replayed twice would arrive now
        deliveries = _deliveries(kafka, cat)
    finally:
        if sender.is_alive():
            sender.join(30)
        worker.stop()
    ids = Counter(d["delivery_id"] for d in deliveries)
    twice = [(d["_at"], d["produced_at"], d["delivery_id"]) for d in deliveries if ids[d["delivery_id"]] > 1]
    story = worker.log_lines("ledger", "control app ready", "exiting", "Worker ready", "Joined group")
    assert not twice, f"delivery ids produced twice: {sorted(twice)}\n{story}"
    per_alert = Counter(d["alert"]["identifier"] for d in deliveries)
    assert set(per_alert) == {a.identifier for a in alerts}, "an alert was lost"
    assert set(per_alert.values()) == {len(RECIPIENTS)}
    assert not [m for m in dead_letters(kafka, cat)]
