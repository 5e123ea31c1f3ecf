"""Entry validity against time: in force at the pass and still at the match; agreements at disclosure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from ops.zone import load_zone_file
from schemas.audit import AuditRecord
from schemas.codec import decode, encode
from schemas.matching import Match
from schemas.topics import Catalogue
from schemas.watchlist import PlaceCommand, WithdrawCommand
from schemas.zone import Zone
from streams.control.alerts.logic import AlertResult, process_alert
from streams.control.common import Rejected
from streams.control.watchlist.logic import process_command
from streams.hotpath.matcher import WatchlistIndex
from streams.hotpath.pipeline import BatchResult, HitPipeline
from streams.hotpath.watchlist_state import WatchlistState
from tests.support.records import Rec
from tests.unit.models_factories import alert, approval_data, entry, entry_data, hit_data

ZONE = load_zone_file(Path(__file__).parents[2] / "ops" / "zones" / "chuanyu.yaml")
CAT = Catalogue("rax")
PLACED = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
T = PLACED.timestamp()


# ---- the index: every kind of match judges both times ---------------------------------------------
@pytest.mark.parametrize(("pattern", "tolerance", "read"), [("川A12345", 0, "川A12345"),
                                                             ("川A12345", 1, "川A1234S"),
                                                             ("川A1?34*", 0, "川A12345")])  # fmt: skip
def test_an_entry_matches_only_reads_made_while_it_was_in_force(
    pattern: str, tolerance: int, read: str
) -> None:
    index = WatchlistIndex()
    index.upsert("e", pattern, None, tolerance, expires_at=T + 3600, placed_at=T)
    now = T + 600
    assert [r.entry_id for r in index.match(read, None, now, pass_time=T + 60)] == ["e"]
    assert index.match(read, None, now, pass_time=T - 60) == []  # passed before it was placed
    assert index.match(read, None, T + 3590, pass_time=T + 3660) == []  # passes (clock skew) after expiry
    assert index.match(read, None, T + 3601, pass_time=T + 3500) == []  # in force then, expired now
    assert [r.entry_id for r in index.match(read, None, now)] == ["e"]  # no pass time: judged at now


# ---- the hot path -----------------------------------------------------------------------------
def _pipeline(*entries: Any) -> HitPipeline:
    state = WatchlistState()
    for e in entries:
        state.upsert(e)
    return HitPipeline(CAT, state, lambda: ZONE)


def _read(passed: datetime, plate: str = "川A12345") -> Rec:
    data = hit_data(event_id=str(uuid.uuid4()), region="510521", plate=plate, pass_time=passed.isoformat(),
                    checkpoint_id=f"510521-K{uuid.uuid4().hex[:6]}")  # fmt: skip
    return Rec(CAT.in_hits("510521"), orjson.dumps(data), _key=plate.encode())


def _matched(result: BatchResult) -> int:
    return sum(result.matches.values())


def _entry(**over: Any) -> Any:
    over.setdefault("expires_at", (PLACED + timedelta(days=30)).isoformat())
    return entry(entry_id=str(uuid.uuid4()), scope=[], placed_at=PLACED.isoformat(), **over)


def test_a_late_read_of_a_pass_before_the_placement_does_not_match() -> None:
    e = _entry()
    now = PLACED + timedelta(minutes=10)
    before, after = _read(PLACED - timedelta(minutes=5)), _read(PLACED + timedelta(minutes=5))
    result = _pipeline(e).process([before, after], now)
    assert _matched(result) == 1 and result.dlq == {}
    (match,) = (decode(o.value or b"", Match) for o in result.out if o.topic == CAT.matches)
    assert match.hit.pass_time == PLACED + timedelta(minutes=5)


def test_a_withdrawal_is_never_overtaken_by_a_late_read() -> None:
    e = _entry()
    pipeline = _pipeline(e)
    passed = PLACED + timedelta(hours=1)  # the entry was in force when the vehicle passed
    pipeline.watchlist.apply(e.entry_id.encode(), None)  # withdrawn (the tombstone) before the read came
    result = pipeline.process([_read(passed)], passed + timedelta(minutes=4))
    assert _matched(result) == 0 and result.out == []


def test_an_expired_entry_does_not_match_a_read_made_while_it_was_in_force_but_arriving_late() -> None:
    e = _entry(expires_at=(PLACED + timedelta(hours=1)).isoformat())
    passed = PLACED + timedelta(minutes=59)
    result = _pipeline(e).process([_read(passed)], PLACED + timedelta(hours=1, minutes=2))
    assert _matched(result) == 0


def _zone_with(agreement_id: str, **change: Any) -> Zone:
    data = ZONE.model_dump(mode="json")
    data["agreements"] = [a | change if a["agreement_id"] == agreement_id else a for a in data["agreements"]]
    return Zone.model_validate(data)


def test_agreement_validity_is_judged_at_disclosure_time_not_at_the_pass() -> None:
    # 荣昌's entry, read in 泸县: disclosed to 泸县 under rc-lx-joint-office
    e = _entry(owner="500153", category="fugitive")
    passed, now = PLACED + timedelta(hours=1), PLACED + timedelta(hours=1, minutes=3)
    cut = (passed + timedelta(minutes=1)).isoformat()  # ends after the pass, before the match
    for zone, disclosed in ((_zone_with("rc-lx-joint-office", valid_until=cut), False),
                            (_zone_with("rc-lx-joint-office", valid_from=cut), True)):  # fmt: skip
        pipeline = _pipeline(e)
        pipeline._zone = lambda zone=zone: zone  # type: ignore[misc]
        result = pipeline.process([_read(passed)], now)
        audits = [decode(o.value or b"", AuditRecord) for o in result.out if o.topic == CAT.audit]
        to_luxian = next(a for a in audits if a.recipient == "510521")
        assert to_luxian.decision.value == ("disclosed" if disclosed else "refused")
        assert to_luxian.at == now
        if not disclosed:
            assert to_luxian.reason.value == "agreement_not_in_force"


# ---- the control app: an entry placed again after its withdrawal ------------------------------------
def _command(raw: dict[str, Any], entries: dict[str, Any], now: datetime) -> Any:
    result = process_command(orjson.dumps(raw), "510521", catalogue=CAT, now=now, entries=entries)
    entries.update(result.entries)
    return result


def test_an_entry_placed_again_after_a_withdrawal_must_be_dated_after_it() -> None:
    entries: dict[str, Any] = {}
    approval = approval_data() | {"approved_at": PLACED.isoformat()}
    data = entry_data(placed_at=PLACED.isoformat(), approval=approval,
                      expires_at=(PLACED + timedelta(days=30)).isoformat())  # fmt: skip
    place = PlaceCommand.model_validate({"command_id": str(uuid.uuid4()), "issued_at": PLACED, "entry": data})
    _command(place.model_dump(mode="json"), entries, PLACED)
    out_at = PLACED + timedelta(hours=2)
    withdraw = WithdrawCommand.model_validate({
        "command_id": str(uuid.uuid4()), "issued_at": out_at, "entry_id": data["entry_id"], "owner": "510521",
        "operator": "051234", "approval": approval, "reason": "recovered"})  # fmt: skip
    _command(withdraw.model_dump(mode="json"), entries, out_at)
    again = place.model_dump(mode="json") | {"command_id": str(uuid.uuid4()), "issued_at": out_at.isoformat()}
    with pytest.raises(Rejected, match="must not be before that") as err:
        _command(again, entries, out_at + timedelta(minutes=1))  # the same entry, still dated 08:00
    assert err.value.reason.value == "schema_violation"
    fresh = again | {"command_id": str(uuid.uuid4()), "entry": data | {"placed_at": out_at.isoformat()}}
    result = _command(fresh, entries, out_at + timedelta(minutes=2))
    assert result.outputs and entries[data["entry_id"]]["status"] == "active"


# ---- the control app: an Update is disclosed under today's agreements --------------------------------
def _run(zone: Zone, a: Any, messages: dict[str, Any], threads: dict[str, Any], now: datetime) -> AlertResult:
    result = process_alert(encode(a), a.sender_region, zone=zone, catalogue=CAT, now=now,
                           messages=messages, threads=threads)  # fmt: skip
    messages.update(result.messages)
    threads.update(result.threads)
    return result


def test_an_update_needs_an_agreement_in_force_when_it_is_disclosed_but_a_cancel_reaches_all() -> None:
    sent = datetime(2024, 5, 1, 0, 40, tzinfo=UTC)
    first = alert(sender_region="500000", category="fugitive", target_regions=["510000"], info=[])
    messages: dict[str, Any] = {}
    threads: dict[str, Any] = {}
    assert _delivered(_run(ZONE, first, messages, threads, sent)) == ["500000", "510000"]
    ended = _zone_with("cy-2024-cq-sc", valid_until=(sent + timedelta(minutes=5)).isoformat())
    later = sent + timedelta(minutes=10)
    update = alert(identifier="U-2", sender_region="500000", category="fugitive", target_regions=["510000"],
                   info=[], msg_type="Update", references=[first.as_reference()], sent=later)  # fmt: skip
    result = _run(ended, update, messages, threads, later)
    assert _delivered(result) == ["500000"]
    assert [(d.recipient, d.reason.value) for d in result.refused] == [("510000", "agreement_not_in_force")]
    cancel = alert(identifier="C-3", sender_region="500000", category="fugitive", info=[], msg_type="Cancel",
                   references=[first.as_reference()], sent=later + timedelta(minutes=1))  # fmt: skip
    assert _delivered(_run(ended, cancel, messages, threads, later + timedelta(minutes=1))) == [
        "500000",
        "510000",
    ]


def _delivered(result: AlertResult) -> list[str]:
    return sorted(o.topic.rsplit(".", 1)[1] for o in result.outputs if o.topic.startswith(CAT.out_prefix))
