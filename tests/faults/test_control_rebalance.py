"""Two control-app workers: one joins mid-stream, then the first leaves. No alert lost, no delivery twice,
and the state that moved with the partitions (deliveries, from the changelog) answers every ack after."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from schemas.codec import encode
from schemas.topics import Catalogue
from tests.support.control import AlertSender, ControlWorker, dead_letters, wait_for, wait_until_idle
from tests.support.hotpath import producer
from tests.support.kafka import consume_all
from tests.support.secure import SecureZone
from tests.unit.models_factories import ack, zone_alert

RECIPIENTS = ("500000", "500153", "510000")
ALERTS = 900
RATE = 90.0


def _deliveries(kafka: Any, cat: Catalogue) -> list[dict[str, Any]]:
    return [orjson.loads(m.value()) for r in RECIPIENTS for m in consume_all(kafka, cat.out(r))]


def _acks_applied(worker: ControlWorker) -> float:
    _, body = worker.get("/metrics")
    lines = body.decode().splitlines()
    return sum(float(x.rsplit(" ", 1)[1]) for x in lines if x.startswith("rax_control_acks_total{"))


def test_a_worker_joining_and_one_leaving_keep_every_alert_and_every_delivery_state(
    secure_zone: SecureZone, tmp_path: Path
) -> None:
    # on the secured broker: the app as the processors' identity, regions as theirs, reads as the operator
    kafka, cat, tag = secure_zone.admin, secure_zone.cat, uuid.uuid4().hex[:6]
    dirs = [tmp_path / "w0", tmp_path / "w1"]
    for d in dirs:
        d.mkdir()
    w0 = ControlWorker(secure_zone.processors, cat, dirs[0], "--worker-id", "0")
    w1 = ControlWorker(secure_zone.processors, cat, dirs[1], "--worker-id", "1")
    alerts = [zone_alert("510000", identifier=f"REB-{tag}-{n:05d}", plates=[]) for n in range(ALERTS)]

    sender = AlertSender(secure_zone.region("510000"), cat, alerts, RATE)
    try:
        w0.start()
        sender.start()
        wait_for(lambda: len(_deliveries(kafka, cat)) >= 300, 60, "progress before the join")
        w1.start()  # joins: inbox and alert partitions move to it, their stores restored from changelogs
        wait_for(lambda: len(_deliveries(kafka, cat)) >= 1500, 60, "progress before the leave")
        w0.stop()  # leaves: everything moves to w1
        sender.join(60)
        total = ALERTS * len(RECIPIENTS)
        wait_for(lambda: len(_deliveries(kafka, cat)) >= total, 120, f"all {total} deliveries")
        wait_until_idle(kafka, cat, ["510000"])
        deliveries = _deliveries(kafka, cat)
        # 重庆's centre acknowledges what it got: the worker left standing must know every delivery
        to_cq = [d["delivery_id"] for d in deliveries if d["recipient"] == "500000"]
        p = producer(secure_zone.region("500000"))
        at = datetime.now(UTC).isoformat()
        for did in to_cq:
            a = ack(ack_id=str(uuid.uuid4()), delivery_id=did, region="500000", outcome="received", at=at)
            p.produce(cat.in_acks("500000"), encode(a), did.encode())
        assert p.flush(30) == 0
        wait_for(lambda: _acks_applied(w1) >= len(to_cq), 60, f"{len(to_cq)} acks applied")
        dead = dead_letters(kafka, cat)
    finally:
        if sender.is_alive():
            sender.join(60)
        w0.stop()
        w1.stop()
    ids = Counter(d["delivery_id"] for d in deliveries)
    assert not [i for i, n in ids.items() if n > 1], "a delivery id appears twice"
    reached = {(d["alert"]["identifier"], d["recipient"]) for d in deliveries}
    assert reached == {(a.identifier, r) for a in alerts for r in RECIPIENTS}
    assert not dead, f"{len(dead)} dead letters, e.g. {dead[0].headers()}"
