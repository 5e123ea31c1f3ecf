"""The control app killed with SIGKILL mid-stream, three times, then restarted: no alert lost, no delivery
id twice (read_committed), nothing dead-lettered."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from schemas.alerts import Alert
from schemas.topics import Catalogue
from tests.support.control import AlertSender, ControlWorker, dead_letters, wait_for, wait_until_idle
from tests.support.kafka import consume_all
from tests.support.secure import SecureZone
from tests.unit.models_factories import zone_alert

# an alert of 四川 about a stolen vehicle reaches 四川 itself, 重庆 and 荣昌 (see ops/zones/chuanyu.yaml)
RECIPIENTS = ("500000", "500153", "510000")
ALERTS = 30_000
RATE = 100.0  # alerts per second: the stream lasts until the last restart has made progress (halt), so
# every kill lands mid-stream however slowly a loaded machine restarts the app
KILLS = 3


def alert(n: int, tag: str) -> Alert:
    return zone_alert("510000", identifier=f"KILL-{tag}-{n:05d}", plates=[])


def _deliveries(kafka: Any, cat: Catalogue) -> list[dict[str, Any]]:
    return [
        orjson.loads(m.value()) | {"_at": (m.topic(), m.partition(), m.offset())}
        for r in RECIPIENTS
        for m in consume_all(kafka, cat.out(r))
    ]


def test_sigkill_mid_stream_three_times_loses_no_alert_and_repeats_no_delivery(
    secure_zone: SecureZone, tmp_path: Path
) -> None:
    # on the secured broker: the app as the processors' identity, the alerts as 四川's, reads as the operator
    kafka, cat, tag = secure_zone.admin, secure_zone.cat, uuid.uuid4().hex[:6]
    worker = ControlWorker(secure_zone.processors, cat, tmp_path)
    alerts = [alert(n, tag) for n in range(ALERTS)]

    sender = AlertSender(secure_zone.region("510000"), cat, alerts, RATE)
    kills_mid_stream = 0
    try:
        worker.start()
        sender.start()
        for _ in range(KILLS):
            before = len(_deliveries(kafka, cat))
            wait_for(lambda b=before: len(_deliveries(kafka, cat)) >= b + 150, 60, "progress before a kill")
            worker.kill()  # mid-transaction, most likely: the publisher is still sending
            kills_mid_stream += sender.is_alive()
            worker.start()
        before = len(_deliveries(kafka, cat))
        wait_for(lambda b=before: len(_deliveries(kafka, cat)) >= b + 150, 60, "progress after the restarts")
        sender.halt()
        assert kills_mid_stream == KILLS, f"{KILLS - kills_mid_stream} kills came after the stream ended"
        total = len(sender.sent) * len(RECIPIENTS)
        wait_for(lambda: len(_deliveries(kafka, cat)) >= total, 120, f"all {total} deliveries")
        wait_until_idle(kafka, cat, ["510000"])  # anything decided twice would be written by now
        deliveries = _deliveries(kafka, cat)
    finally:
        if sender.is_alive():
            sender.halt()
        worker.stop()
    ids = Counter(d["delivery_id"] for d in deliveries)
    twice = sorted((d["_at"], d["delivery_id"]) for d in deliveries if ids[d["delivery_id"]] > 1)
    assert not twice, f"delivery ids produced twice: {twice[:20]}"
    per_alert = Counter(d["alert"]["identifier"] for d in deliveries)
    assert set(per_alert) == {a.identifier for a in sender.sent}, "an alert was lost"
    assert set(per_alert.values()) == {len(RECIPIENTS)}
    assert not dead_letters(kafka, cat)
