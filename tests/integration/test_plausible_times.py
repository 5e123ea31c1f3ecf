"""Times on the real broker: hits, commands and acks out of bounds dead-lettered; entries judged against time.

The hot path and the control app run as the runtime runs them (a loop in a thread of the test process);
"nothing more" is known once their groups have committed every input.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson

from schemas.acks import Acknowledgement, Outcome
from schemas.codec import decode, encode
from schemas.delivery import Delivery, DeliveryKind, MatchNotice, delivery_id
from schemas.dlq import parse_dlq_headers
from schemas.inbox import InboxKind, inbox_headers
from schemas.kafka_settings import KafkaSettings
from schemas.matching import match_id
from schemas.topics import Catalogue
from schemas.watchlist import PlaceCommand
from tests.support.control import dead_letters, header, publish, running_control, wait_for, wait_until_idle
from tests.support.hotpath import (
    HitFactory,
    apply_example_zone,
    make_entry,
    producer,
    publish_entries,
    running_worker,
)
from tests.support.kafka import consume_all, wait_until_committed
from tests.unit import models_factories as f

REGIONS = ["500000", "500116", "500152", "500153", "510000", "510521", "510522", "510904"]


def test_the_hot_path_dead_letters_absurd_pass_times_and_matches_only_entries_in_force(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    cat = catalogue
    apply_example_zone(kafka, cat)
    now = datetime.now(UTC)
    wanted = make_entry("510521", "川A13579", placed_at=(now - timedelta(minutes=10)).isoformat())
    withdrawn = make_entry("510521", "川A24680", placed_at=(now - timedelta(hours=2)).isoformat())
    publish_entries(kafka, cat, [wanted, withdrawn], tombstones=[withdrawn.entry_id])
    with running_worker(kafka, cat):
        hits = HitFactory(kafka, cat)
        far = hits.send("510521", "川A13579", pass_time=datetime(9999, 12, 31, tzinfo=UTC))
        ancient = hits.send("510521", "川A13579", pass_time=datetime(1, 1, 1, tzinfo=UTC))
        ahead = hits.send("510521", "川A13579", pass_time=now + timedelta(hours=1))
        before = hits.send(
            "510521", "川A13579", pass_time=now - timedelta(minutes=30), checkpoint="510521-K2"
        )
        late = hits.send("510521", "川A24680", pass_time=now - timedelta(hours=1))  # before the withdrawal
        good = hits.send("510521", "川A13579", pass_time=now, checkpoint="510521-K3")
        hits.flush()
        wait_until_committed(kafka, f"{cat.processor_prefix}hotpath", [cat.in_hits("510521")])
    delivered = {d.match.hit_event_id for m in consume_all(kafka, cat.out("510521"))
                 if (d := decode(m.value() or b"", Delivery)).match}  # fmt: skip
    assert delivered == {good}  # not `before` (passed before the placement), nor `late` (withdrawn since)
    assert before and late
    letters = {}
    for m in consume_all(kafka, cat.dlq("hotpath")):
        letters[orjson.loads(m.value() or b"{}")["event_id"]] = parse_dlq_headers(m.headers())
    assert set(letters) == {far, ancient, ahead}
    for event, when in ((far, "9999-12-31T00:00:00Z"), (ancient, "0001-01-01T00:00:00Z"), (ahead, "")):
        assert letters[event].reason.value == "implausible_time"
        assert letters[event].error.startswith(f"pass_time {when}")
    assert "ahead of the exchange's clock" in letters[ahead].error


def _delivery(made: datetime) -> Delivery:
    """A match delivery as the hot path writes it: 泸县's entry seen at 泸县's checkpoint, for 荣昌."""
    h = f.hit(event_id=str(uuid.uuid4()), pass_time=(made - timedelta(seconds=2)).isoformat())
    entry_id = str(uuid.uuid4())
    m = f.match(hit=h, entry_id=entry_id, match_id=match_id(h.event_id, entry_id), matched_at=made)
    return Delivery(delivery_id=delivery_id(h.event_id, entry_id, "500153"), recipient="500153",
                    kind=DeliveryKind.MATCH, owner=m.owner, match=MatchNotice.from_match(m),
                    agreement_id="lx-rc-joint-office", purpose="interception", produced_at=made,
                    source_time=h.pass_time)  # fmt: skip


def _ack(d: Delivery, at: datetime, outcome: Outcome = Outcome.RECEIVED) -> Acknowledgement:
    return Acknowledgement(ack_id=str(uuid.uuid4()), delivery_id=d.delivery_id, region="500153",
                           outcome=outcome, at=at, operator="500153-0815")  # fmt: skip


def test_the_control_app_dead_letters_absurd_times_and_times_acks_on_its_own_clock(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    cat = catalogue
    apply_example_zone(kafka, cat)
    with running_control(kafka, cat, tick_s=0.2) as loop:
        made = datetime.now(UTC)
        forged, honest = _delivery(made), _delivery(made)
        p = producer(kafka)
        for d in (forged, honest):  # as the hot path writes them: out topic and control inbox
            p.produce(cat.out(d.recipient), encode(d), d.delivery_id.encode())
            p.produce(cat.control_inbox, encode(d), d.delivery_id.encode(),
                      headers=inbox_headers(InboxKind.DELIVERY, d.recipient))  # fmt: skip
        assert p.flush(30) == 0
        time.sleep(2.0)  # the centre takes two seconds to answer
        acks = cat.in_acks("500153")
        publish(kafka, acks, [
            (forged.delivery_id.encode(), encode(_ack(forged, datetime(9999, 1, 1, tzinfo=UTC)))),
            (honest.delivery_id.encode(), encode(_ack(honest, made + timedelta(milliseconds=100)))),
        ])  # fmt: skip
        approval = f.approval_data() | {"approved_at": made.isoformat()}
        e = f.entry_data(entry_id=str(uuid.uuid4()), placed_at=made.isoformat(), approval=approval,
                         expires_at=(made + timedelta(days=1)).isoformat())  # fmt: skip
        command = PlaceCommand.model_validate(
            {"command_id": str(uuid.uuid4()), "issued_at": made, "entry": e}
        )
        late = command.model_copy(update={"issued_at": datetime(9999, 1, 1, tzinfo=UTC)})
        publish(kafka, cat.in_watchlist("510521"), [(e["entry_id"].encode(), encode(late))])
        alert = f.zone_alert("510521", sent=datetime(9999, 1, 1, tzinfo=UTC))
        publish(kafka, cat.in_alerts("510521"), [(alert.identifier.encode(), encode(alert))])

        registry = loop.registry
        count = "rax_control_time_to_acknowledge_seconds_count"
        wait_for(lambda: registry.get_sample_value(count, {"region": "500153"}), 30, "the honest ack")
        wait_until_idle(kafka, cat, REGIONS)
        total = registry.get_sample_value("rax_control_time_to_acknowledge_seconds_sum", {"region": "500153"})
    # the centre claimed 0.1 s; the exchange received the answer two seconds after the delivery
    assert total is not None and total >= 2.0
    letters = {header(m, "rax.dlq.source.topic"): m for m in dead_letters(kafka, cat)}
    assert set(letters) == {acks, cat.in_watchlist("510521"), cat.in_alerts("510521")}
    fields = {acks: "at", cat.in_watchlist("510521"): "issued_at", cat.in_alerts("510521"): "sent"}
    for topic, field in fields.items():
        m = letters[topic]
        assert header(m, "rax.dlq.reason") == "implausible_time"
        assert (header(m, "rax.dlq.error") or "").startswith(f"{field} 9999-01-01T00:00:00Z")
    assert consume_all(kafka, cat.watchlist) == []
    assert consume_all(kafka, cat.out("500000")) == []  # the alert of 9999 reached nobody
