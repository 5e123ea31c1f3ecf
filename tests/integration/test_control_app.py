"""The control app on the real broker: the CAP examples as Alert → Update → Cancel, the watchlist lifecycle,
dead letters naming the original source, a parked Update, acknowledgements and outcome figures, a deadline
breach, the web endpoints.

One worker (the runtime's loop in a thread of the test process) serves the whole module; every test uses
its own records. Reads are read_committed; "nothing more" is checked once the group's committed offsets
have reached the end of every input and of the inbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry

from schemas.acks import Acknowledgement, Outcome
from schemas.alerts import Alert
from schemas.base import stable_event_id
from schemas.cap import Reference
from schemas.codec import encode
from schemas.delivery import Delivery, DeliveryKind, MatchNotice, alert_subject, delivery_id
from schemas.inbox import InboxKind, inbox_headers
from schemas.kafka_settings import KafkaSettings
from schemas.matching import match_id
from schemas.topics import Catalogue
from schemas.watchlist import Approval, PlaceCommand, WatchlistEntry, WithdrawCommand
from streams.runtime import StreamLoop
from tests.support.cap_examples import cap, cap_sequence
from tests.support.control import (
    dead_letters,
    deliveries_by_subject,
    get,
    header,
    publish,
    running_control,
    wait_for,
    wait_until_idle,
)
from tests.support.hotpath import apply_example_zone, producer
from tests.support.kafka import consume_all, unique
from tests.unit.models_factories import zone_alert

REGIONS = ["500000", "500116", "500152", "500153", "510000", "510521", "510522", "510904"]


class Env:
    def __init__(self, kafka: KafkaSettings, cat: Catalogue, loop: StreamLoop) -> None:
        self.kafka, self.cat, self.loop = kafka, cat, loop
        assert loop.web is not None
        self.port = loop.web.port

    def get(self, path: str) -> tuple[int, bytes]:
        return get(self.port, path)

    def metric(self, name: str, **labels: str) -> float:
        registry: CollectorRegistry = self.loop.registry
        return registry.get_sample_value(name, labels) or 0.0

    def idle(self) -> None:
        wait_until_idle(self.kafka, self.cat, REGIONS)


@pytest.fixture(scope="module")
def env(broker: Any) -> Iterator[Env]:
    cat = Catalogue(unique("ctl").replace("-", ""))
    apply_example_zone(broker.settings, cat)
    # low priority (alerts with urgency Past/Unknown) must be acknowledged within 3 s: the breach test
    settings = {"tick_s": 0.2, "park_s": 3.0, "review_s": 1.0, "views_s": 0.2}
    with running_control(broker.settings, cat, **settings, deadlines=_deadlines()) as loop:
        yield Env(broker.settings, cat, loop)


def _deadlines() -> Any:
    from streams.control.config import DeadlinePolicy

    defaults = DeadlinePolicy()
    return DeadlinePolicy(acknowledge={**defaults.acknowledge, "*:low": 3.0}, outcome=defaults.outcome)


def send_alerts(env: Env, alerts: list[Alert]) -> None:
    for alert in alerts:  # one at a time: the order of the sequence is the order of publication
        publish(
            env.kafka, env.cat.in_alerts(alert.sender_region), [(alert.identifier.encode(), encode(alert))]
        )


def letters_for(env: Env, *keys: bytes) -> dict[bytes, Any]:
    return {m.key(): m for m in dead_letters(env.kafka, env.cat) if m.key() in keys}


# ---- the CAP examples ---------------------------------------------------------------------------
def test_cap_examples_alert_update_cancel_reach_exactly_the_right_regions(env: Env) -> None:
    tag = uuid.uuid4().hex[:6]
    alerts = cap_sequence(tag)
    send_alerts(env, alerts)
    expected = {
        f"43b080713727-{tag}": {"510000"},  # terrorism: no agreement of 四川 shares it
        f"KSTO1055887203-{tag}": {"500153", "510521"},  # the sender and its neighbour (joint office)
        f"KAR0-0306112239-SW-{tag}": {"500000", "510000", "510521"},  # area 泸县 and its province
        f"TRI13970876.1-{tag}": {"500000", "510000"},  # explicit target
        f"TRI13970876.2-{tag}": {"500000", "510000", "510521"},  # again, plus the area it adds
        f"TRI13970876.3-{tag}": {"500000", "510000", "510521"},  # everyone who received the thread
    }

    def complete() -> dict[str, list[Any]] | None:
        got = deliveries_by_subject(env.kafka, env.cat, REGIONS)
        return got if all(len(got.get(i, [])) >= len(r) for i, r in expected.items()) else None

    got = wait_for(complete, 60, "the deliveries of the CAP sequence")
    for identifier, regions in expected.items():
        assert sorted(d["recipient"] for d in got[identifier]) == sorted(regions), identifier
    assert {d["kind"] for d in got[f"TRI13970876.3-{tag}"]} == {DeliveryKind.ALERT_CANCEL.value}
    assert {d["kind"] for d in got[f"TRI13970876.2-{tag}"]} == {DeliveryKind.ALERT_UPDATE.value}
    for identifier, deliveries in got.items():
        if identifier.endswith(tag):
            for d in deliveries:
                assert d["delivery_id"] == delivery_id(
                    identifier,
                    alert_subject(d["alert"]["sender_region"], d["alert"]["sender"]),
                    d["recipient"],
                )
    audit = [orjson.loads(m.value()) for m in consume_all(env.kafka, env.cat.audit)]
    homeland = {a["recipient"]: a["reason"] for a in audit if a["subject_id"] == f"43b080713727-{tag}"}
    assert homeland["510000"] == "owner"
    assert homeland["500000"] == "category_not_allowed"
    assert homeland["510904"] == "no_agreement"
    disclosed = [
        a
        for a in audit
        if a["decision"] == "disclosed" and a["subject_id"].endswith(tag) and a["kind"] != "deadline_breach"
    ]
    assert len(disclosed) == sum(len(r) for r in expected.values())  # every disclosure audited

    # the same alert again, and the expired thunderstorm warning as published in 2003: nothing new
    send_alerts(env, [alerts[2]])
    stale = Alert.model_validate(
        cap("ThunderstormWarning", timedelta(0), sender_region="500153", category="other")
    )
    stale = stale.model_copy(update={"identifier": f"stale-{tag}"})
    send_alerts(env, [stale])
    env.idle()
    letter = letters_for(env, stale.identifier.encode())[stale.identifier.encode()]
    assert "expired" in (header(letter, "rax.dlq.error") or "")
    assert header(letter, "rax.dlq.source.topic") == env.cat.in_alerts("500153")
    again = deliveries_by_subject(env.kafka, env.cat, REGIONS)
    assert len(again[f"KAR0-0306112239-SW-{tag}"]) == 3
    assert f"stale-{tag}" not in again


# ---- the watchlist lifecycle --------------------------------------------------------------------
def approval(at: datetime) -> Approval:
    return Approval(
        unit="泸县公安局", approver="张警官 051234", approved_at=at, reference="泸公(刑)布字[2024]17号"
    )


def entry(owner: str, plate: str, **over: Any) -> WatchlistEntry:
    now = datetime.now(UTC)
    data: dict[str, Any] = {
        "entry_id": str(uuid.uuid4()),
        "owner": owner,
        "operator": "051234",
        "approval": approval(now - timedelta(hours=1)),
        "category": "stolen_vehicle",
        "action": "intercept",
        "priority": "urgent",
        "plate": plate,
        "plate_colour": "blue",
        "legal_basis": "刑事诉讼法 第一百五十条",
        "placed_at": now - timedelta(minutes=1),
        "expires_at": now + timedelta(days=30),
    }
    return WatchlistEntry.model_validate(data | over)


def place(e: WatchlistEntry) -> PlaceCommand:
    return PlaceCommand(command_id=str(uuid.uuid4()), issued_at=datetime.now(UTC), entry=e)


def withdraw(e: WatchlistEntry) -> WithdrawCommand:
    now = datetime.now(UTC)
    return WithdrawCommand(command_id=str(uuid.uuid4()), issued_at=now, entry_id=e.entry_id, owner=e.owner,
                           operator="051234", approval=approval(now - timedelta(minutes=1)),
                           reason="车辆已找回")  # fmt: skip


def watchlist_records(env: Env, entry_id: str) -> list[bytes | None]:
    return [m.value() for m in consume_all(env.kafka, env.cat.watchlist) if m.key() == entry_id.encode()]


def hot_path_matches(env: Env, plate: str) -> list[str]:
    """Entry ids the hot path's watchlist copy (rebuilt from rax.watchlist as every worker does) matches."""
    from streams.hotpath.watchlist_state import WatchlistState

    state = WatchlistState()
    for m in consume_all(env.kafka, env.cat.watchlist):
        state.apply(m.key(), m.value())
    return [facts.entry_id for _, facts in state.match(plate, "blue", datetime.now(UTC).timestamp())]


def test_watchlist_place_resend_withdraw_and_expiry(env: Env) -> None:
    e = entry("510521", "川E12345")
    cmd = place(e)
    topic = env.cat.in_watchlist("510521")
    publish(env.kafka, topic, [(e.entry_id.encode(), encode(cmd))])
    wait_for(lambda: watchlist_records(env, e.entry_id), 30, "the entry on the watchlist topic")
    assert e.entry_id in hot_path_matches(env, "川E12345")
    publish(env.kafka, topic, [(e.entry_id.encode(), encode(cmd))])  # re-sent: changes nothing
    forged = entry("500000", "渝A88888")  # placed by a region that is not the topic's: to the DLQ
    forged_bytes = encode(place(forged))
    ghost = entry("510521", "川E99999")  # a withdrawal of an entry never placed
    publish(env.kafka, topic, [(forged.entry_id.encode(), forged_bytes),
                               (ghost.entry_id.encode(), encode(withdraw(ghost))),
                               (e.entry_id.encode(), encode(withdraw(e)))])  # fmt: skip
    env.idle()
    records = watchlist_records(env, e.entry_id)
    assert len(records) == 2 and records[0] is not None and records[1] is None  # once, then a tombstone
    assert e.entry_id not in hot_path_matches(env, "川E12345")
    letters = letters_for(env, forged.entry_id.encode(), ghost.entry_id.encode())
    assert header(letters[forged.entry_id.encode()], "rax.dlq.reason") == "region_mismatch"
    assert header(letters[ghost.entry_id.encode()], "rax.dlq.reason") == "unknown_reference"
    assert letters[forged.entry_id.encode()].value() == forged_bytes  # the original bytes, unchanged
    assert header(letters[forged.entry_id.encode()], "rax.dlq.source.topic") == topic
    assert not [k for k, _ in letters[forged.entry_id.encode()].headers() or [] if k.startswith("rax.ctl.")]
    assert not watchlist_records(env, forged.entry_id)
    # an entry that expires two seconds after it is placed is removed by the expiry timer
    short = entry("510521", "川E55555", expires_at=datetime.now(UTC) + timedelta(seconds=2))
    publish(env.kafka, topic, [(short.entry_id.encode(), encode(place(short)))])
    records = wait_for(
        lambda: (r := watchlist_records(env, short.entry_id)) and r[-1] is None and r, 30, "expiry"
    )
    assert len(records) == 2 and records[0] is not None
    assert env.metric("rax_control_watchlist_commands_total", region="510521", op="expire") >= 1


def test_a_partial_plate_outside_the_zones_policy_is_refused_and_one_inside_it_placed(env: Env) -> None:
    topic = env.cat.in_watchlist("510521")
    vague = entry("510521", "川E7?3*", category="fugitive", tolerance=0)  # 3 known characters
    fine = entry("510521", "川E7?34*", category="fugitive", tolerance=0)
    publish(env.kafka, topic, [(vague.entry_id.encode(), encode(place(vague))),
                               (fine.entry_id.encode(), encode(place(fine)))])  # fmt: skip
    wait_for(lambda: watchlist_records(env, fine.entry_id), 30, "the specific pattern placed")
    env.idle()
    letter = letters_for(env, vague.entry_id.encode())[vague.entry_id.encode()]
    assert header(letter, "rax.dlq.reason") == "not_authorised"
    assert "at least 4" in (header(letter, "rax.dlq.error") or "")
    assert not watchlist_records(env, vague.entry_id)


def _at_least(n: int, found: list[Any] | None) -> list[Any] | None:
    return found if found is not None and len(found) >= n else None


# ---- dead letters and parked updates ------------------------------------------------------------
def test_bad_input_and_an_exception_go_to_the_dlq_naming_the_source_and_processing_goes_on(env: Env) -> None:
    topic = env.cat.in_alerts("510521")
    key = uuid.uuid4().hex.encode()
    # a CAP identifier of 200 characters is valid CAP, but the audit record's subject_id holds 128: building
    # the audit raises inside the processor (a real exception, not a validation we wrote)
    long = zone_alert("510521", identifier="L" * 200)
    impostor = zone_alert("500000")  # Chongqing's alert on 泸县's topic
    after = zone_alert("510521")
    publish(env.kafka, topic, [(key, b"{not json"), (b"long", encode(long)), (b"imp", encode(impostor))])
    publish(env.kafka, topic, [(after.identifier.encode(), encode(after))])
    got = wait_for(
        lambda: _at_least(3, deliveries_by_subject(env.kafka, env.cat, REGIONS).get(after.identifier)),
        30,
        "after",
    )
    # 泸县, 荣昌 (joint office) and 重庆 across the border (lx-to-cq)
    assert sorted(d["recipient"] for d in got) == ["500000", "500153", "510521"]
    env.idle()
    letters = letters_for(env, key, b"long", b"imp")
    assert header(letters[key], "rax.dlq.reason") == "invalid_json"
    assert letters[key].value() == b"{not json"
    assert header(letters[b"long"], "rax.dlq.reason") == "processing_error"
    assert header(letters[b"long"], "rax.dlq.stage") == "process"
    assert "ValidationError" in (header(letters[b"long"], "rax.dlq.error") or "")
    assert letters[b"long"].value() == encode(long)
    assert header(letters[b"imp"], "rax.dlq.reason") == "region_mismatch"
    for letter in letters.values():
        assert header(letter, "rax.dlq.component") == "control"
        assert header(letter, "rax.dlq.source.topic") == topic  # the region's topic, not the inbox
        assert header(letter, "rax.dlq.source.offset") is not None
    labels = {"stream": "alerts", "reason": "processing_error", "stage": "process"}
    assert env.metric("rax_control_dead_letters_total", **labels) >= 1


def test_an_update_read_before_its_alert_waits_for_it_and_an_unknown_reference_is_dead_lettered(
    env: Env,
) -> None:
    first = zone_alert("510521")
    update = zone_alert(
        "510521", msg_type="Update", references=[first.as_reference()], sent=first.sent + timedelta(seconds=1)
    )
    ghost_ref = Reference(sender=first.sender, identifier="never-sent", sent=first.sent)
    orphan = zone_alert(
        "510521", msg_type="Cancel", references=[ghost_ref], sent=first.sent + timedelta(seconds=1)
    )
    topic = env.cat.in_alerts("510521")
    publish(env.kafka, topic, [(update.identifier.encode(), encode(update)),
                               (orphan.identifier.encode(), encode(orphan))])  # fmt: skip
    env.idle()  # both are parked now
    assert env.metric("rax_control_records_total", stream="alerts", outcome="parked") >= 2
    publish(env.kafka, topic, [(first.identifier.encode(), encode(first))])
    got = wait_for(
        lambda: _at_least(3, deliveries_by_subject(env.kafka, env.cat, REGIONS).get(update.identifier)),
        30,
        "update",
    )
    assert sorted(d["recipient"] for d in got) == ["500000", "500153", "510521"]
    letter = wait_for(lambda: letters_for(env, orphan.identifier.encode()), 30, "the orphan's dead letter")
    letter = letter[orphan.identifier.encode()]
    assert header(letter, "rax.dlq.reason") == "unknown_reference"
    assert header(letter, "rax.dlq.source.topic") == topic  # the original topic, not the inbox
    assert letter.value() == encode(orphan)


# ---- acknowledgements, outcomes, deadlines -------------------------------------------------------
def match_delivery(recipient: str) -> Delivery:
    """A match delivery as the hot path writes it: 泸县's entry seen at 泸县's checkpoint, for 荣昌."""
    from tests.unit import models_factories as f

    now = datetime.now(UTC)
    h = f.hit(event_id=str(uuid.uuid4()), pass_time=(now - timedelta(seconds=2)).isoformat())
    entry_id = str(uuid.uuid4())
    m = f.match(hit=h, entry_id=entry_id, match_id=match_id(h.event_id, entry_id), matched_at=now)
    return Delivery(delivery_id=delivery_id(h.event_id, entry_id, recipient), recipient=recipient,
                    kind=DeliveryKind.MATCH, owner=m.owner, match=MatchNotice.from_match(m),
                    agreement_id="lx-rc-joint-office", purpose="interception", produced_at=now,
                    source_time=h.pass_time)  # fmt: skip


def deliver_as_the_hot_path_does(env: Env, d: Delivery) -> None:
    """The delivery on the recipient's out topic and, in the same transaction, in the control inbox."""
    p = producer(env.kafka)  # not transactional here: the test publishes one after the other
    p.produce(env.cat.out(d.recipient), encode(d), d.delivery_id.encode())
    p.produce(env.cat.control_inbox, encode(d), d.delivery_id.encode(),
              headers=inbox_headers(InboxKind.DELIVERY, d.recipient))  # fmt: skip
    assert p.flush(30) == 0


def ack(d: Delivery, region: str, outcome: Outcome) -> Acknowledgement:
    return Acknowledgement(ack_id=stable_event_id(d.delivery_id, outcome.value, region),
                           delivery_id=d.delivery_id, region=region, outcome=outcome,
                           at=datetime.now(UTC), operator="500153-0815")  # fmt: skip


def test_acknowledgements_tie_to_deliveries_and_give_outcome_figures(env: Env) -> None:
    d = match_delivery("500153")
    deliver_as_the_hot_path_does(env, d)
    acks = env.cat.in_acks("500153")
    received, intercepted = ack(d, "500153", Outcome.RECEIVED), ack(d, "500153", Outcome.INTERCEPTED)
    key = d.delivery_id.encode()
    publish(
        env.kafka, acks, [(key, encode(received)), (key, encode(intercepted)), (key, encode(intercepted))]
    )
    stranger = ack(d, "500000", Outcome.FALSE_POSITIVE)  # 重庆 answers 荣昌's delivery
    publish(env.kafka, env.cat.in_acks("500000"), [(key, encode(stranger))])
    unknown = ack(match_delivery("500153"), "500153", Outcome.RECEIVED)
    publish(env.kafka, acks, [(unknown.delivery_id.encode(), encode(unknown))])

    def figures() -> Any:
        _, body = env.get("/outcomes")
        entry = orjson.loads(body)["entry"].get(d.match.entry_id if d.match else "")
        return entry if entry and entry["finals"] else None

    entry = wait_for(figures, 30, "the outcome of the entry")
    assert entry["intercepted"] == 1 and entry["interception_rate"] == 1.0
    assert entry["false_positive_rate"] == 0
    assert orjson.loads(env.get("/outcomes")[1])["checkpoint"]["510521-KK-0042"]["intercepted"] >= 1
    assert env.metric("rax_control_acks_total", region="500153", outcome="intercepted") == 1
    assert env.metric("rax_control_time_to_acknowledge_seconds_count", region="500153") == 1
    assert env.metric("rax_control_interception_ratio", region="500153") == 1.0
    env.idle()
    letters = [m for m in dead_letters(env.kafka, env.cat) if m.key() in (key, unknown.delivery_id.encode())]
    assert {header(m, "rax.dlq.reason") for m in letters} == {"not_authorised", "unknown_reference"}
    assert {header(m, "rax.dlq.source.topic") for m in letters} == {acks, env.cat.in_acks("500000")}


def test_a_delivery_not_acknowledged_in_time_raises_one_breach_to_the_owner(env: Env) -> None:
    low = {"info": [{"categories": ["Security"], "event": "被盗车辆", "urgency": "Past", "severity": "Minor",
                     "certainty": "Likely"}]}  # fmt: skip
    answered, silent = zone_alert("510521", **low), zone_alert("510521", **low)
    send_alerts(env, [answered, silent])
    got = wait_for(
        lambda: (g := deliveries_by_subject(env.kafka, env.cat, REGIONS)).get(answered.identifier) and g,
        30,
        "alerts",
    )
    answer = Delivery.model_validate(next(d for d in got[answered.identifier] if d["recipient"] == "500153"))
    publish(env.kafka, env.cat.in_acks("500153"),
            [(answer.delivery_id.encode(), encode(ack(answer, "500153", Outcome.RECEIVED)))])  # fmt: skip
    silent_id = delivery_id(silent.identifier, alert_subject(silent.sender_region, silent.sender), "500153")

    def breaches(of: str) -> list[Any]:
        out = [orjson.loads(m.value()) for m in consume_all(env.kafka, env.cat.out("510521"))]
        return [d for d in out if d["kind"] == "deadline_breach" and d["breach"]["delivery_id"] == of]

    found = wait_for(lambda: breaches(silent_id), 30, "the breach of the silent delivery")
    breach = found[0]["breach"]
    assert breach["region"] == "500153" and breach["owner"] == "510521" and breach["stage"] == "acknowledge"
    assert breach["priority"] == "low" and breach["subject_id"] == silent.identifier
    env.idle()
    assert len(breaches(silent_id)) == 1 and not breaches(answer.delivery_id)
    assert env.metric("rax_control_deadline_breaches_total", region="500153", stage="acknowledge") >= 1


def test_web_endpoints(env: Env) -> None:
    assert env.get("/health") == (200, b"ok\n")
    assert env.get("/ready") == (200, b"ok\n")
    status, body = env.get("/metrics")
    text = body.decode()
    assert status == 200 and "rax_control_records_total" in text
    assert "rax_control_alert_delivery_latency_seconds" in text and "rax_runtime_lag_records" in text
    assert 'rax_control_acks_total{outcome="received",region="510904"} 0.0' in text  # initialised at start
    status, body = env.get("/watchlist/review")
    assert status == 200 and set(orjson.loads(body)) >= {"overdue", "entries"}
    status, body = env.get("/outcomes")
    assert status == 200 and set(orjson.loads(body)) == {"region", "checkpoint", "entry"}
