"""Retention: the control app forgets deliveries, ended entries and old alerts, a slice of keys per tick."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from schemas.acks import Outcome
from schemas.codec import encode
from streams.control.config import RetentionPolicy
from streams.control.retention import SWEPT, stale
from streams.runtime.sweep import Sweep
from tests.support.control_harness import Harness
from tests.unit.models_factories import approval_data, entry_data, match_delivery, place, withdraw, zone_alert
from tests.unit.test_control_processor import ZONE, announce, answer, watch

HOUR = 3600.0
#: small numbers, and a slice of 2 keys per tick, so a pass takes several ticks
POLICY = RetentionPolicy(deliveries_s=HOUR, entries_s=2 * HOUR, alerts_s=3 * HOUR, every_s=1, slice_keys=2)


def intercepted(h: Harness) -> int:
    h.processor.views_.refresh_outcomes(p.stats for p in h.processor._parts.values())
    figures = h.processor.views()["/outcomes"]()
    return int(figures["region"].get("500153", {}).get("intercepted", 0))


def ticks(h: Harness, at: float, count: int = 12) -> None:
    for n in range(count):
        h.tick(at + n)


def test_what_may_be_forgotten_and_when() -> None:
    now = 10 * HOUR
    assert stale("deliveries", "d", {"delivered_at": now - HOUR - 1}, now, POLICY, {})
    assert not stale("deliveries", "d", {"delivered_at": now - HOUR + 1}, now, POLICY, {})
    active = {"status": "active", "expires_at": 0.0}
    assert not stale("entries", "e", active, now, POLICY, {})  # never, however old
    ended = {"status": "withdrawn", "expires_at": now + HOUR, "ended_at": now - 2 * HOUR - 1}
    assert stale("entries", "e", ended, now, POLICY, {})
    assert not stale("entries", "e", {**ended, "ended_at": now - HOUR}, now, POLICY, {})
    expired = {"status": "expired", "expires_at": now - 2 * HOUR - 1}  # no ended_at: its expiry
    assert stale("entries", "e", expired, now, POLICY, {})
    assert stale("alerts", "m", {"sent": now - 3 * HOUR - 1}, now, POLICY, {})
    assert stale("threads", "root", {}, now, POLICY, {"other": {}})
    assert not stale("threads", "root", {}, now, POLICY, {"root": {}})
    assert not stale("parked", "p", {}, now, POLICY, {})


def test_a_sweep_lists_each_store_when_it_reaches_it_and_ends() -> None:
    stores: dict[str, dict[str, object]] = {"deliveries": {"a": 1, "b": 2}, "entries": {}, "alerts": {"m": 1}}
    stores["threads"] = {"t": 1}
    stores["requests"] = {"r": 1}
    sweep = Sweep(stores, SWEPT)
    assert sweep.take(1) == [("deliveries", "a")]
    stores["alerts"]["n"] = 2  # added before the pass reached the store: looked at
    assert sweep.take(10) == [
        ("deliveries", "b"),
        ("alerts", "m"),
        ("alerts", "n"),
        ("threads", "t"),
        ("requests", "r"),
    ]
    assert sweep.done


def test_deliveries_and_their_outcomes_are_forgotten_and_a_restart_restores_the_same() -> None:
    h = Harness(ZONE, retention=POLICY)
    d = match_delivery("500153", produced_at=datetime.now(UTC))
    announce(h, d)
    h.send(h.cat.in_acks("500153"), d.delivery_id.encode(), encode(answer(d, "500153", Outcome.INTERCEPTED)))
    a = zone_alert("510521")
    h.send(h.cat.in_alerts("510521"), a.identifier.encode(), encode(a))
    before = h.store("deliveries")
    assert d.delivery_id in before and len(before) == 4  # the match and the alert's three deliveries
    ticks(h, h.now + HOUR / 2)
    assert h.store("deliveries") == before and intercepted(h) == 1  # not yet
    ticks(h, h.now + HOUR + 60)
    assert not set(h.store("deliveries")) & set(before)  # what is left: breach notices made since
    assert h.store("alerts") and h.store("threads")  # alerts are kept longer
    assert intercepted(h) == 0  # the figures are those of the deliveries kept
    forgotten = h.registry.get_sample_value("rax_control_forgotten_total", {"store": "deliveries"})
    assert forgotten == 4
    h.restart()
    assert not set(h.store("deliveries")) & set(before)  # the tombstones were committed with the tick
    ticks(h, a.sent.timestamp() + 3 * HOUR + 60)
    assert h.store("alerts") == {} and h.store("threads") == {}


def test_an_ended_entry_is_forgotten_an_active_one_is_kept() -> None:
    h = Harness(ZONE, retention=POLICY)
    now = datetime.now(UTC)
    approval = approval_data() | {"approved_at": now.isoformat()}
    ids = []
    for _ in range(2):
        e = entry_data(entry_id=str(uuid.uuid4()), placed_at=now.isoformat(), approval=approval,
                       expires_at=(now + timedelta(days=30)).isoformat())  # fmt: skip
        watch(h, place(entry=e, issued_at=now.isoformat(), command_id=str(uuid.uuid4())))
        ids.append(e["entry_id"])
    kept, gone = ids
    watch(h, withdraw(entry_id=gone, issued_at=now.isoformat(), approval=approval))
    assert h.store("entries")[gone]["status"] == "withdrawn"
    ticks(h, h.now + HOUR)
    assert set(h.store("entries")) == {kept, gone}
    ticks(h, h.now + 2 * HOUR + 60)
    assert set(h.store("entries")) == {kept}  # active for 30 days: kept whatever the policy
