"""The control processor without a broker: intake re-keying, decisions, parked alerts, timers, restarts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from ops.zone import load_zone_file
from schemas.acks import Acknowledgement, Outcome
from schemas.base import stable_event_id
from schemas.codec import encode
from schemas.delivery import Delivery, alert_subject, delivery_id
from schemas.delivery_notice import DeliveryNotice
from schemas.dlq import parse_dlq_headers
from schemas.inbox import InboxKind, inbox_headers
from streams.runtime import Outgoing
from tests.support.control_harness import Harness
from tests.unit.models_factories import approval_data, entry_data, match_delivery, place, withdraw, zone_alert

ZONE = load_zone_file(Path(__file__).resolve().parents[2] / "ops" / "zones" / "chuanyu.yaml")


def headers(o: Outgoing) -> dict[str, bytes]:
    return {k: v if isinstance(v, bytes) else str(v).encode() for k, v in o.headers or ()}


def letters(h: Harness) -> list[tuple[Outgoing, Any]]:
    return [(o, parse_dlq_headers(o.headers or [])) for o in h.out(h.cat.dlq("control"))]


def recipients(h: Harness, identifier: str) -> list[str]:
    out = []
    for o in h.committed:
        if o.topic.startswith(h.cat.out_prefix) and o.value:
            d = orjson.loads(o.value)
            if (d.get("alert") or {}).get("identifier") == identifier:
                out.append(d["recipient"])
    return sorted(out)


def test_an_alert_is_rekeyed_by_region_into_the_inbox_and_its_deliveries_come_back_by_id() -> None:
    h = Harness(ZONE)
    a = zone_alert("510521")
    forged = [("trace", b"1"), ("rax.ctl.kind", b"delivery")]  # a region cannot write our envelope
    h.send(h.cat.in_alerts("510521"), a.identifier.encode(), encode(a), forged)
    inbox = h.out(h.cat.control_inbox)
    first = inbox[0]
    assert first.key == b"510521" and first.value == encode(a)
    hs = headers(first)
    assert hs["rax.ctl.kind"] == b"alert" and hs["rax.ctl.source.key"] == a.identifier.encode()
    assert hs["rax.ctl.source.topic"] == h.cat.in_alerts("510521").encode() and hs["trace"] == b"1"
    assert [k for k, _ in first.headers or [] if k == "rax.ctl.kind"] == ["rax.ctl.kind"]
    # itself, its joint-office partner, and 重庆 across the border (lx-to-cq)
    assert recipients(h, a.identifier) == ["500000", "500153", "510521"]
    announced = [o for o in inbox[1:] if headers(o)["rax.ctl.kind"] == b"notice"]
    assert sorted(o.key or b"" for o in announced) == sorted(
        delivery_id(a.identifier, alert_subject(a.sender_region, a.sender), r).encode()
        for r in ("500000", "500153", "510521")
    )
    assert set(h.store("deliveries")) == {(o.key or b"").decode() for o in announced}
    h.send(h.cat.in_alerts("510521"), a.identifier.encode(), encode(a))  # re-sent: a duplicate
    assert recipients(h, a.identifier) == ["500000", "500153", "510521"]
    assert h.registry.get_sample_value(
        "rax_control_records_total", {"stream": "alerts", "outcome": "duplicate"}
    )


def test_records_without_the_key_their_state_needs_are_dead_lettered_at_intake() -> None:
    h = Harness(ZONE)
    h.send(h.cat.in_watchlist("510521"), None, encode(place()))
    h.send(h.cat.in_acks("500153"), None, b"{}")
    reasons = [(d.reason.value, d.source_topic) for _, d in letters(h)]
    assert reasons == [
        ("schema_violation", h.cat.in_watchlist("510521")),
        ("schema_violation", h.cat.in_acks("500153")),
    ]
    assert not h.out(h.cat.control_inbox)


def test_an_update_read_before_its_alert_is_parked_then_delivered_after_it() -> None:
    h = Harness(ZONE)
    first = zone_alert("510521")
    update = zone_alert("510521", msg_type="Update", references=[first.as_reference()],
                        sent=first.sent + timedelta(seconds=1))  # fmt: skip
    topic = h.cat.in_alerts("510521")
    h.send(topic, update.identifier.encode(), encode(update))
    assert recipients(h, update.identifier) == [] and len(h.store("parked")) == 1
    h.send(topic, first.identifier.encode(), encode(first))
    expected = ["500000", "500153", "510521"]
    assert recipients(h, first.identifier) == recipients(h, update.identifier) == expected
    kinds = [orjson.loads(o.value or b"")["kind"] for o in h.out(h.cat.out("500153"))]
    assert kinds == ["alert", "alert_update"]  # in the order of the thread
    assert h.store("parked") == {} and not letters(h)


def test_a_parked_alert_whose_reference_never_comes_is_dead_lettered_naming_its_source() -> None:
    h = Harness(ZONE, park_s=30)
    ghost = zone_alert("510521")
    orphan = zone_alert("510521", msg_type="Cancel", references=[ghost.as_reference()])
    topic = h.cat.in_alerts("510521")
    h.send(topic, orphan.identifier.encode(), encode(orphan), [("trace", b"7")])
    h.tick(h.now + 29)
    assert not letters(h)
    h.restart()  # the parked alert is state: it survives a restart
    h.tick(h.now + 2)
    [(letter, dl)] = letters(h)
    assert dl.reason.value == "unknown_reference" and dl.source_topic == topic and dl.source_offset == 0
    assert letter.key == orphan.identifier.encode() and letter.value == encode(orphan)
    assert ("trace", b"7") in (letter.headers or []) and not [
        k for k, _ in letter.headers or [] if "ctl" in k
    ]
    h.tick(h.now + 60)
    assert len(letters(h)) == 1 and h.store("parked") == {}


def test_bad_records_are_dead_lettered_one_by_one_and_the_batch_goes_on() -> None:
    h = Harness(ZONE)
    topic = h.cat.in_alerts("510521")
    long = zone_alert("510521", identifier="L" * 200)  # valid CAP; the audit record holds 128: raises
    impostor, fine = zone_alert("500000"), zone_alert("510521")
    batch = [(b"bad", b"{not json"), (b"long", encode(long)), (b"imp", encode(impostor)),
             (fine.identifier.encode(), encode(fine))]  # fmt: skip
    h.run([h._record(topic, k, v) for k, v in batch])
    got = {letter.key: dl for letter, dl in letters(h)}
    assert got[b"bad"].reason.value == "invalid_json" and got[b"imp"].reason.value == "region_mismatch"
    assert got[b"long"].reason.value == "processing_error" and got[b"long"].stage.value == "process"
    assert "ValidationError" in got[b"long"].error
    assert all(dl.source_topic == topic for dl in got.values())
    assert recipients(h, "L" * 200) == [] and recipients(h, fine.identifier) == ["500000", "500153", "510521"]


def watch(h: Harness, cmd: Any, key: bytes | None = None) -> None:
    entry_id = cmd.entry.entry_id if hasattr(cmd, "entry") else cmd.entry_id
    h.send(h.cat.in_watchlist("510521"), key or entry_id.encode(), encode(cmd))


def test_watchlist_place_withdraw_expiry_and_a_key_that_is_not_the_entry_id() -> None:
    h = Harness(ZONE)
    now = datetime.now(UTC)
    soon = now + timedelta(seconds=5)
    approval = approval_data() | {"approved_at": now.isoformat()}
    e = entry_data(entry_id=str(uuid.uuid4()), placed_at=now.isoformat(), expires_at=soon.isoformat(),
                   approval=approval)  # fmt: skip
    watch(h, place(entry=e, issued_at=now.isoformat()))
    watch(h, place(entry=e, issued_at=now.isoformat(), command_id=str(uuid.uuid4())), key=b"other")
    [placed] = h.out(h.cat.watchlist)
    assert placed.key == e["entry_id"].encode() and placed.value is not None
    [(_, dl)] = letters(h)
    assert dl.reason.value == "schema_violation" and "not by the entry id" in dl.error
    h.tick(soon.timestamp() + 1)
    h.tick(soon.timestamp() + 2)
    assert [o.value for o in h.out(h.cat.watchlist)] == [placed.value, None]  # one tombstone
    assert h.store("entries")[e["entry_id"]]["status"] == "expired"
    other = entry_data(entry_id=str(uuid.uuid4()), placed_at=now.isoformat(),
                       expires_at=(now + timedelta(days=1)).isoformat(), approval=approval)  # fmt: skip
    watch(h, place(entry=other, issued_at=now.isoformat(), command_id=str(uuid.uuid4())))
    watch(h, withdraw(entry_id=other["entry_id"], issued_at=now.isoformat(), approval=approval))
    assert h.out(h.cat.watchlist)[-1].key == other["entry_id"].encode()
    assert h.out(h.cat.watchlist)[-1].value is None


def announce(h: Harness, d: Delivery) -> None:
    """What the hot path writes to the inbox beside each delivery it makes."""
    h.run([h._record(h.cat.control_inbox, d.delivery_id.encode(), encode(DeliveryNotice.of(d)),
                     inbox_headers(InboxKind.NOTICE, d.recipient))])  # fmt: skip


def answer(d: Delivery, region: str, outcome: Outcome) -> Acknowledgement:
    return Acknowledgement(ack_id=stable_event_id(d.delivery_id, outcome.value, region),
                           delivery_id=d.delivery_id, region=region, outcome=outcome,
                           at=datetime.now(UTC), operator="500153-0815")  # fmt: skip


def test_acks_give_outcome_figures_and_an_ack_of_no_known_delivery_is_dead_lettered_at_once() -> None:
    h = Harness(ZONE)
    d = match_delivery("500153", produced_at=datetime.now(UTC))
    announce(h, d)
    acks = h.cat.in_acks("500153")
    for outcome in (Outcome.RECEIVED, Outcome.INTERCEPTED, Outcome.INTERCEPTED):  # the last is a re-send
        h.send(acks, d.delivery_id.encode(), encode(answer(d, "500153", outcome)))
    unknown = match_delivery("500000")  # never announced
    h.send(acks, unknown.delivery_id.encode(), encode(answer(unknown, "500153", Outcome.RECEIVED)))
    h.processor.views_.refresh_outcomes(p.stats for p in h.processor._parts.values())
    figures = h.processor.views()["/outcomes"]()
    assert figures["region"]["500153"]["intercepted"] == 1
    assert figures["region"]["500153"]["interception_rate"] == 1.0
    assert (
        h.registry.get_sample_value("rax_control_acks_total", {"region": "500153", "outcome": "intercepted"})
        == 1
    )
    [(_, dl)] = letters(h)
    assert dl.reason.value == "unknown_reference" and dl.source_topic == acks


def test_a_deadline_breach_fires_once_across_a_restart() -> None:
    h = Harness(ZONE)
    d = match_delivery("500153", produced_at=datetime.now(UTC))  # urgent intercept: 10 minutes
    announce(h, d)
    late = d.produced_at.timestamp() + 601
    h.tick(late)
    h.tick(late + 1)
    breaches = h.out(h.cat.out(d.owner))
    assert len(breaches) == 1 and orjson.loads(breaches[0].value or b"")["kind"] == "deadline_breach"
    assert h.store("deliveries")[d.delivery_id]["breached"] == ["acknowledge"]
    h.restart()
    h.tick(late + 2)
    assert len(h.out(h.cat.out(d.owner))) == 1
    # the breach notice came back through the inbox: the owner's answer to it would be known
    assert breaches[0].key is not None and breaches[0].key.decode() in h.store("deliveries")
    labels = {"region": "500153", "stage": "acknowledge"}
    assert (
        h.registry.get_sample_value("rax_control_deadline_breaches_total", labels) == 0
    )  # since the restart


def test_answers_received_after_their_deadlines_breach_even_when_decided_before_the_tick() -> None:
    h = Harness(ZONE)
    d = match_delivery("500153", produced_at=datetime.now(UTC))  # acknowledge in 10 min, outcome in 1 h
    announce(h, d)
    h.now = d.produced_at.timestamp() + 4000  # both answers come late, before any tick has fired
    for outcome in (Outcome.RECEIVED, Outcome.INTERCEPTED):
        h.send(h.cat.in_acks("500153"), d.delivery_id.encode(), encode(answer(d, "500153", outcome)))
    h.restart()  # the late answers are in the restored state; the deadlines are rebuilt from it
    h.tick(h.now + 1)
    h.tick(h.now + 1)
    stages = [orjson.loads(o.value or b"")["breach"]["stage"] for o in h.out(h.cat.out(d.owner))]
    assert stages == ["acknowledge", "outcome"]
    assert h.store("deliveries")[d.delivery_id]["breached"] == ["acknowledge", "outcome"]


def test_answers_received_in_time_raise_no_breach() -> None:
    h = Harness(ZONE)
    d = match_delivery("500153", produced_at=datetime.now(UTC))
    announce(h, d)
    h.now = d.produced_at.timestamp() + 599
    for outcome in (Outcome.RECEIVED, Outcome.INTERCEPTED):
        h.send(h.cat.in_acks("500153"), d.delivery_id.encode(), encode(answer(d, "500153", outcome)))
    h.tick(h.now + 4000)
    assert h.out(h.cat.out(d.owner)) == []


def test_revocation_drops_what_was_derived_and_assignment_rebuilds_it() -> None:
    h = Harness(ZONE)
    announce(h, match_delivery("500153", produced_at=datetime.now(UTC)))
    assert len(h.processor._parts[h.scope].due) == 2  # acknowledge and outcome
    h.processor.revoked(h.scope)
    assert h.scope not in h.processor._parts
    h.processor.assigned(h.scope, h.stores)
    assert len(h.processor._parts[h.scope].due) == 2
