"""Plausible times: every time field judged on the receiving clock; records out of bounds dead-lettered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from ops.zone import load_zone_file
from ops.zone.file import parse_zone
from schemas.acks import Acknowledgement, Outcome
from schemas.codec import encode
from schemas.dlq import parse_dlq_headers
from schemas.inbox import InboxKind, inbox_headers
from schemas.times import (
    TimeBounds,
    ack_time_problem,
    alert_time_problem,
    command_time_problem,
    hit_time_problem,
)
from schemas.topics import Catalogue
from schemas.watchlist import PlaceCommand, WithdrawCommand
from streams.control.envelope import Envelope
from streams.control.intake import forward
from streams.hotpath.pipeline import HitPipeline
from streams.hotpath.watchlist_state import WatchlistState
from tests.support.control_harness import Harness
from tests.support.records import Rec
from tests.unit.models_factories import (
    alert,
    approval_data,
    entry,
    entry_data,
    hit,
    hit_data,
    match_delivery,
    zone_alert,
)

ZONE = load_zone_file(Path(__file__).parents[2] / "ops" / "zones" / "chuanyu.yaml")
CAT = Catalogue("rax")
NOW = datetime(2024, 5, 1, 0, 31, tzinfo=UTC)  # a minute after the factories' hit passed
B = TimeBounds()
ABSURD = ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"]
#: times whose UTC instant lies outside the years 1-9999: no datetime holds them
BEYOND = ["9999-12-31T23:59:59-08:00", "0001-01-01T00:00:00+08:00", "0001-01-01 07:59:59"]


# ---- the bounds, field by field ------------------------------------------------------------------
@pytest.mark.parametrize("when", ABSURD)
def test_a_hit_dated_9999_or_0001_is_implausible_and_the_reason_says_which_field_and_bound(when: str) -> None:
    problem = hit_time_problem(hit(pass_time=when), B, NOW)
    assert problem is not None and problem.startswith(f"pass_time {when}")
    assert "exchange's clock (2024-05-01T00:31:00Z)" in problem
    assert ("times.skew_s" if when.startswith("9999") else "times.read_age_s") in problem


def test_a_read_is_plausible_from_the_retention_window_to_five_minutes_ahead() -> None:
    ok = [NOW + timedelta(minutes=4, seconds=59), NOW - timedelta(days=2, hours=23)]
    bad = [NOW + timedelta(minutes=5, seconds=1), NOW - timedelta(days=3, seconds=1)]
    assert [hit_time_problem(hit(pass_time=t.isoformat()), B, NOW) for t in ok] == [None, None]
    assert all(hit_time_problem(hit(pass_time=t.isoformat()), B, NOW) for t in bad)
    late = hit(pass_time=NOW.isoformat(), received_at=(NOW + timedelta(hours=1)).isoformat())
    assert (hit_time_problem(late, B, NOW) or "").startswith("received_at")


def test_bounds_are_the_zones_and_configurable_in_the_zone_file() -> None:
    assert ZONE.times == TimeBounds()  # the example zone states none: the defaults
    data = ZONE.model_dump(mode="json") | {"times": {"skew_s": 60, "read_age_s": 3600}}
    tight = parse_zone(data).times
    two_minutes_ahead = hit(pass_time=(NOW + timedelta(minutes=2)).isoformat())
    assert hit_time_problem(two_minutes_ahead, B, NOW) is None
    assert "at most 60 s ahead (zone times.skew_s)" in (hit_time_problem(two_minutes_ahead, tight, NOW) or "")
    with pytest.raises(ValueError, match=r"times\.skew_s"):
        parse_zone(ZONE.model_dump(mode="json") | {"times": {"skew_s": -1}})


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"sent": "9999-01-01T00:00:00Z"}, "sent"),
        ({"sent": "2024-04-23T00:00:00Z"}, "sent"),  # eight days old: alert_age_s is a week
        (
            {"info": [{**alert().info[0].model_dump(mode="json"), "expires": "9999-01-01T00:00:00Z"}]},
            "expires",
        ),
        ({"info": [{**alert().info[0].model_dump(mode="json"), "onset": "0001-01-01T00:00:00Z"}]}, "onset"),
    ],
)
def test_an_alerts_times_are_judged(over: dict[str, Any], field: str) -> None:
    received = datetime(2024, 5, 1, 0, 41, tzinfo=UTC)  # the factory alert was sent at 00:40
    assert alert_time_problem(alert(), B, received) is None
    problem = alert_time_problem(alert(**over), B, received)
    assert problem is not None and field in problem.split(" ")[0]


def _place(**entry: Any) -> PlaceCommand:
    return PlaceCommand.model_validate(
        {"command_id": str(uuid.uuid4()), "issued_at": NOW.isoformat(), "entry": entry_data(**entry)}
    )


def test_a_watchlist_commands_times_are_judged() -> None:
    assert command_time_problem(_place(), B, NOW) is None
    future = _place().model_copy(update={"issued_at": datetime(9999, 1, 1, tzinfo=UTC)})
    assert (command_time_problem(future, B, NOW) or "").startswith("issued_at 9999-01-01T00:00:00Z")
    forever = _place(expires_at="9999-01-01T00:00:00Z")
    assert "times.horizon_s" in (command_time_problem(forever, B, NOW) or "")
    assert (command_time_problem(_place(placed_at="0001-01-01T00:00:00Z"), B, NOW) or "").startswith(
        "entry.placed_at"
    )
    withdraw = WithdrawCommand.model_validate(
        {"command_id": str(uuid.uuid4()), "issued_at": "9999-01-01T00:00:00Z", "entry_id": str(uuid.uuid4()),
         "owner": "510521", "operator": "051234", "approval": approval_data(), "reason": "found"}
    )  # fmt: skip
    assert (command_time_problem(withdraw, B, NOW) or "").startswith("issued_at")


def test_an_ack_may_not_be_dated_before_its_delivery_nor_ahead_of_the_exchange() -> None:
    d = match_delivery()
    made = d.produced_at
    answer = Acknowledgement(
        ack_id=str(uuid.uuid4()),
        delivery_id=d.delivery_id,
        region="500153",
        outcome=Outcome.RECEIVED,
        at=made + timedelta(minutes=1),
        operator="x",
    )
    received = made + timedelta(minutes=2)
    assert ack_time_problem(answer, made, B, received) is None
    before = answer.model_copy(update={"at": made - timedelta(hours=1)})
    assert "before the delivery it answers" in (ack_time_problem(before, made, B, received) or "")
    future = answer.model_copy(update={"at": datetime(9999, 1, 1, tzinfo=UTC)})
    assert (ack_time_problem(future, made, B, received) or "").startswith("at 9999-01-01T00:00:00Z")


# ---- where records are received: the hot path ----------------------------------------------------
@pytest.mark.parametrize("when", ABSURD)
def test_the_hot_path_dead_letters_a_hit_dated_9999_or_0001_and_matches_nothing(when: str) -> None:
    state = WatchlistState()
    state.upsert(entry(scope=[]))
    data = hit_data(event_id=str(uuid.uuid4()), pass_time=when)
    msg = Rec(CAT.in_hits("510521"), orjson.dumps(data), _key=b"x")
    result = HitPipeline(CAT, state, lambda: ZONE).process([msg], NOW)
    (dead,) = result.out
    letter = parse_dlq_headers(dead.headers)
    assert dead.topic == CAT.dlq("hotpath") and dead.value == msg.value()
    assert (letter.reason.value, letter.stage.value) == ("implausible_time", "validate")
    assert letter.error.startswith(f"pass_time {when}")
    assert result.dlq == {"implausible_time": 1} and result.matches == {}


@pytest.mark.parametrize("when", BEYOND)
def test_a_hit_whose_time_has_no_utc_instant_is_dead_lettered_as_implausible_not_as_a_crash(
    when: str,
) -> None:
    data = hit_data(event_id=str(uuid.uuid4()), pass_time=when)
    msg = Rec(CAT.in_hits("510521"), orjson.dumps(data), _key=b"x")
    result = HitPipeline(CAT, WatchlistState(), lambda: ZONE).process([msg], NOW)
    (dead,) = result.out
    letter = parse_dlq_headers(dead.headers)
    assert (letter.reason.value, letter.stage.value) == ("implausible_time", "decode")
    assert "pass_time" in letter.error and "no UTC instant within the years 0001-9999" in letter.error


# ---- where records are received: the control app --------------------------------------------------
def _letters(h: Harness) -> list[Any]:
    return [parse_dlq_headers(o.headers or []) for o in h.out(h.cat.dlq("control"))]


def test_the_control_app_dead_letters_an_alert_sent_in_9999() -> None:
    h = Harness(ZONE)
    far = zone_alert("510521", sent=datetime(9999, 1, 1, tzinfo=UTC))
    h.send(h.cat.in_alerts("510521"), far.identifier.encode(), encode(far))
    (letter,) = _letters(h)
    assert letter.reason.value == "implausible_time" and letter.error.startswith("sent 9999-01-01T00:00:00Z")
    assert letter.source_topic == h.cat.in_alerts("510521")
    assert not [o for o in h.committed if o.topic.startswith(h.cat.out_prefix)]


def test_the_control_app_dead_letters_a_command_issued_in_9999() -> None:
    h = Harness(ZONE)
    now = datetime.fromtimestamp(h.now, UTC)
    approval = approval_data() | {"approved_at": now.isoformat()}
    e = entry_data(entry_id=str(uuid.uuid4()), placed_at=now.isoformat(), approval=approval,
                   expires_at=(now + timedelta(days=1)).isoformat())  # fmt: skip
    cmd = {"op": "place", "command_id": str(uuid.uuid4()), "issued_at": "9999-01-01T00:00:00Z", "entry": e}
    h.send(h.cat.in_watchlist("510521"), e["entry_id"].encode(), orjson.dumps(cmd))
    (letter,) = _letters(h)
    assert letter.reason.value == "implausible_time" and letter.error.startswith("issued_at 9999")
    assert h.out(h.cat.watchlist) == []


@pytest.mark.parametrize(("issued", "stage"), [("9999-12-31T23:59:59Z", "validate"),
                                               ("9999-12-31T23:59:59-08:00", "decode")])  # fmt: skip
def test_a_command_issued_at_the_end_of_time_is_implausible_not_a_processing_error(
    issued: str, stage: str
) -> None:
    h = Harness(ZONE)
    now = datetime.fromtimestamp(h.now, UTC)
    approval = approval_data() | {"approved_at": now.isoformat()}
    e = entry_data(entry_id=str(uuid.uuid4()), placed_at=now.isoformat(), approval=approval,
                   expires_at=(now + timedelta(days=1)).isoformat())  # fmt: skip
    cmd = {"op": "place", "command_id": str(uuid.uuid4()), "issued_at": issued, "entry": e}
    h.send(h.cat.in_watchlist("510521"), e["entry_id"].encode(), orjson.dumps(cmd))
    (letter,) = _letters(h)
    assert (letter.reason.value, letter.stage.value) == ("implausible_time", stage)
    assert "issued_at" in letter.error and h.out(h.cat.watchlist) == []


def test_the_control_app_dead_letters_an_alert_sent_beyond_9999_in_utc() -> None:
    h = Harness(ZONE)
    far = orjson.loads(encode(zone_alert("510521"))) | {"sent": "9999-12-31T23:59:59-08:00"}
    h.send(h.cat.in_alerts("510521"), far["identifier"].encode(), orjson.dumps(far))
    (letter,) = _letters(h)
    assert letter.reason.value == "implausible_time" and "sent" in letter.error


def _announce(h: Harness, produced_at: datetime) -> Any:
    d = match_delivery("500153", produced_at=produced_at)
    h.send(
        h.cat.control_inbox, d.delivery_id.encode(), encode(d), inbox_headers(InboxKind.DELIVERY, "500153")
    )
    return d


def _ack(d: Any, at: datetime, outcome: Outcome = Outcome.RECEIVED) -> bytes:
    return encode(Acknowledgement(ack_id=str(uuid.uuid4()), delivery_id=d.delivery_id, region="500153",
                                  outcome=outcome, at=at, operator="500153-0815"))  # fmt: skip


def test_an_ack_dated_9999_is_dead_lettered_and_leaves_the_delivery_unacknowledged() -> None:
    h = Harness(ZONE)
    d = _announce(h, datetime.fromtimestamp(h.now, UTC))
    h.send(h.cat.in_acks("500153"), d.delivery_id.encode(), _ack(d, datetime(9999, 1, 1, tzinfo=UTC)))
    (letter,) = _letters(h)
    assert letter.reason.value == "implausible_time" and letter.error.startswith("at 9999-01-01T00:00:00Z")
    assert letter.source_topic == h.cat.in_acks("500153")  # the dead letter names the original
    assert h.store("deliveries")[d.delivery_id]["received_at"] is None  # the deadline still runs


def test_time_to_acknowledge_is_measured_on_the_exchanges_clock_not_the_senders() -> None:
    h = Harness(ZONE)
    made = datetime.fromtimestamp(h.now, UTC)
    d = _announce(h, made)
    h.now += 42.0  # the app receives the answer 42 s after the delivery was made
    claimed = made + timedelta(seconds=1)  # the centre dates it a second after: it would look prompt
    h.send(h.cat.in_acks("500153"), d.delivery_id.encode(), _ack(d, claimed))
    assert _letters(h) == []
    state = h.store("deliveries")[d.delivery_id]
    assert state["received_at"] == pytest.approx(made.timestamp() + 42.0, abs=0.002)
    labels = {"region": "500153"}
    assert h.registry.get_sample_value(
        "rax_control_time_to_acknowledge_seconds_sum", labels
    ) == pytest.approx(42, abs=0.01)


def test_the_intake_stamps_when_it_received_a_record_and_the_decision_reads_it() -> None:
    sent = Rec(CAT.in_acks("500153"), b"{}", 7, 0, b"k", [("rax.ctl.received", b"1")], 1_000)
    _, out = forward(sent, CAT, received=1_714_523_460.25)
    inbox = Rec(CAT.control_inbox, out.value, 3, 0, out.key, list(out.headers or []), 1_714_523_999_000)
    env = Envelope.open(inbox)
    assert env.received == 1_714_523_460.25  # the app's clock at intake, not the region's forged header
    assert env.original.timestamp()[1] == 1_000 and env.original.topic() == CAT.in_acks("500153")
