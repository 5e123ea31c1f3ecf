"""Deliveries, acknowledgements, deadlines and outcome figures: the pure logic behind the acks agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from schemas.acks import BreachStage
from schemas.codec import decode, encode
from schemas.delivery import Delivery, delivery_id
from schemas.delivery_notice import DeliveryNotice
from schemas.dlq import DlqReason
from schemas.inbox import InboxKind
from schemas.times import TimeBounds
from schemas.topics import Catalogue
from streams.control.acks.deadlines import DueQueue, breach, due_items, with_breached
from streams.control.acks.logic import apply_ack, delivery_state, owed
from streams.control.acks.outcomes import OutcomeStats, merged
from streams.control.common import Rejected, Unresolved, from_epoch, to_epoch
from streams.control.config import DeadlinePolicy
from streams.control.state import DeliveryState
from tests.unit.models_factories import ack, alert_delivery, breach_delivery, match_delivery

CAT = Catalogue("t")
POLICY = DeadlinePolicy()


def state_of(d: Delivery) -> tuple[DeliveryNotice, DeliveryState]:
    """What the app keeps of ``d``, from its notice as a processor writes it to the inbox."""
    return delivery_state(encode(DeliveryNotice.of(d)))


def known(d: Delivery) -> dict[str, Any]:
    return {d.delivery_id: state_of(d)[1]}


#: the factories' ack answers its delivery half an hour later; the app receives it a minute after that
RECEIVED = datetime(2024, 5, 1, 1, 3, tzinfo=UTC)
ON_TIME = {"received": RECEIVED, "bounds": TimeBounds()}


def test_a_match_delivery_is_owed_an_acknowledgement_and_an_outcome() -> None:
    d = match_delivery()
    _, state = state_of(d)
    assert (state["recipient"], state["owner"], state["entry"], state["checkpoint"]) == (
        "500153", "510521", d.match.entry_id if d.match else None, "510521-KK-0042"
    )  # fmt: skip
    assert owed(state) == [BreachStage.ACKNOWLEDGE, BreachStage.OUTCOME]
    due = due_items(POLICY, d.delivery_id, state)
    assert [round(t - state["delivered_at"]) for t, _, _ in due] == [600, 3600]  # urgent intercept


@pytest.mark.parametrize("make", [match_delivery, breach_delivery, lambda: alert_delivery("500153")])
def test_a_whole_delivery_as_written_before_notices_gives_the_state_of_its_notice(make: Any) -> None:
    d = make()
    notice, state = delivery_state(encode(d), InboxKind.DELIVERY)
    assert (notice, state) == state_of(d)
    assert state["subject"] and state["kind"] == d.kind.value
    round_trip = decode(encode(notice), DeliveryNotice)
    assert round_trip == notice  # built without validation, it reads back the same


def test_a_notice_that_is_no_notice_is_rejected_as_undecodable() -> None:
    with pytest.raises(Rejected, match="DeliveryNotice"):
        delivery_state(encode(match_delivery()))  # a whole delivery under kind notice
    with pytest.raises(Rejected):
        delivery_state(b"{")


def test_owners_copies_and_breach_notices_are_owed_nothing() -> None:
    assert owed(state_of(breach_delivery())[1]) == []
    _, own = state_of(alert_delivery("510521"))
    assert owed(own) == []


def test_acks_apply_once_and_the_first_answer_acknowledges() -> None:
    d = match_delivery()
    table = known(d)
    received = apply_ack(encode(ack(outcome="received")), "500153", table, **ON_TIME)
    assert received.state is not None and received.seconds_to_acknowledge is not None
    table[d.delivery_id] = received.state
    assert apply_ack(encode(ack(outcome="received")), "500153", table, **ON_TIME).state is None  # same ack id
    final = apply_ack(encode(ack(ack_id="d4e2a1b9-3d5f-4a6e-8b7c-9d0e1f2a3b4c")), "500153", table, **ON_TIME)
    assert final.state is not None and final.state["outcome"] == "intercepted"
    assert final.seconds_to_acknowledge is None and final.previous_outcome is None


@pytest.mark.parametrize(
    ("over", "region", "error", "reason"),
    [
        ({}, "500000", Rejected, DlqReason.REGION_MISMATCH),
        ({"region": "500000"}, "500000", Rejected, DlqReason.NOT_AUTHORISED),
        ({"delivery_id": "0" * 32}, "500153", Unresolved, DlqReason.UNKNOWN_REFERENCE),
    ],
)
def test_ack_refusals(over: dict[str, Any], region: str, error: type, reason: DlqReason) -> None:
    with pytest.raises(error) as err:
        apply_ack(encode(ack(**over)), region, known(match_delivery()), **ON_TIME)
    assert err.value.reason == reason


def test_a_late_answer_raises_one_breach_to_the_owner() -> None:
    d = match_delivery()
    state = known(d)[d.delivery_id]
    first = due_items(POLICY, d.delivery_id, state)[0]
    on_time = from_epoch(first[0] - 1)
    assert breach(first, state, catalogue=CAT, now=on_time) is None
    late = from_epoch(first[0] + 2)
    result = breach(first, state, catalogue=CAT, now=late)
    assert result is not None
    notice = result.breach
    assert (notice.region, notice.owner, notice.stage) == ("500153", "510521", BreachStage.ACKNOWLEDGE)
    out = next(o for o in result.outputs if o.topic == CAT.out("510521"))
    assert out.key.decode() == delivery_id(notice.breach_id, d.delivery_id, "510521")
    assert orjson.loads(out.value)["kind"] == "deadline_breach"
    marked = with_breached(state, "acknowledge")  # stored with the breach, in its transaction
    assert marked["breached"] == ["acknowledge"] and state["breached"] == []
    assert breach(first, marked, catalogue=CAT, now=late) is None


def test_an_answered_delivery_does_not_breach() -> None:
    d = match_delivery()
    state = known(d)[d.delivery_id] | {"received_at": to_epoch(d.produced_at + timedelta(minutes=1))}
    assert [s for _, _, s in due_items(POLICY, d.delivery_id, state)] == ["outcome"]


def test_due_queue_pops_in_due_order() -> None:
    q = DueQueue()
    for item in [(3.0, "c", "acknowledge"), (1.0, "a", "acknowledge"), (2.0, "b", "outcome")]:
        q.push(item)
    assert [i[1] for i in q.pop_due(2.5)] == ["a", "b"] and len(q) == 1


def test_deadline_rules_most_specific_first() -> None:
    policy = DeadlinePolicy(acknowledge={"intercept:urgent": 60, "intercept:*": 120, "*:low": 30, "*": 900})
    assert policy.seconds(BreachStage.ACKNOWLEDGE, "intercept", "urgent") == 60
    assert policy.seconds(BreachStage.ACKNOWLEDGE, "intercept", "low") == 120
    assert policy.seconds(BreachStage.ACKNOWLEDGE, "notify", "low") == 30
    assert policy.seconds(BreachStage.ACKNOWLEDGE, "notify", "high") == 900
    with pytest.raises(ValueError, match="'\\*'"):
        DeadlinePolicy(acknowledge={"intercept:urgent": 60})


def test_outcome_rates_per_region_checkpoint_and_entry() -> None:
    stats = OutcomeStats()
    _, state = state_of(match_delivery())
    stats.change(state, None, "verified")
    stats.change(state, "verified", "intercepted")
    other = state | {"entry": "other-entry"}
    stats.change(other, None, "false_positive")
    region = stats.rates("region", "500153")
    assert (
        region["finals"] == 2 and region["interception_rate"] == 0.5 and region["false_positive_rate"] == 0.5
    )
    assert stats.rates("checkpoint", "510521-KK-0042")["intercepted"] == 1
    assert stats.snapshot("entry")["other-entry"]["false_positive_rate"] == 1.0


def test_outcome_counts_of_partitions_add_up() -> None:
    _, state = state_of(match_delivery())
    one, two = OutcomeStats(), OutcomeStats()
    one.change(state, None, "intercepted")
    two.change(state | {"entry": "other-entry"}, None, "false_positive")
    total = merged([one, two])
    assert total.rates("region", "500153")["finals"] == 2
    assert total.rates("region", "500153")["interception_rate"] == 0.5
    assert one.rates("region", "500153")["finals"] == 1  # the parts are not changed


def test_an_ack_keyed_by_another_id_is_refused() -> None:
    a = ack()
    with pytest.raises(Rejected) as err:
        apply_ack(encode(a), "500153", known(match_delivery()), key="not-the-delivery-id", **ON_TIME)
    assert err.value.reason == DlqReason.SCHEMA_VIOLATION
