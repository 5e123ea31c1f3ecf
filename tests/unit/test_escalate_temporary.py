"""Temporary agreements (issue 14): accepted only from the owner within what the members' agreements
allow, matches on the operation's plate flowing to its members meanwhile, audited, ended by the close."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson

from schemas.audit import AuditReason, AuditRecord
from schemas.codec import decode, encode
from schemas.delivery import Delivery
from schemas.dlq import DlqReason
from schemas.matching import Match, match_id
from schemas.operation import temporary_agreement_id
from streams.escalate.processor import EscalateProcessor
from streams.runtime import Outgoing, Record, Stores
from tests.unit.models_factories import hit, match
from tests.unit.test_escalate_processor import CAT, _close, _letter, _opened, processor, turn

PLATE = "川A12345"  # the plate of the cloned-plate operation `_opened` opens (owner 500000)


def _agreement(op_id: str, now: float, **over: object) -> dict[str, object]:
    at = datetime.fromtimestamp(now, UTC).isoformat()
    cmd: dict[str, object] = {
        "agreement_id": temporary_agreement_id(op_id, "500000", at),
        "operation_id": op_id,
        "region": "500000",
        "categories": ["drugs"],
        "unredact": ["image_ref"],
        "purpose": "interception",
        "legal_basis": "公安机关办理刑事案件程序规定 第二百六十四条",
        "expires_at": (datetime.fromtimestamp(now, UTC) + timedelta(days=2)).isoformat(),
        "at": at,
    }
    return cmd | over


def _through(p: EscalateProcessor, stores: Stores, batch: list[Record], now: float) -> list[Outgoing]:
    """``batch`` through stage 1, then every inbox record it forwards through stage 2, once."""
    out = turn(p, stores, batch, now)
    inbox = [o for o in out if o.topic == CAT.escalate_inbox]
    forwarded = [Record(o.topic, o.value, 100 + i, 0, o.key, o.headers) for i, o in enumerate(inbox)]
    return out + (turn(p, stores, forwarded, now) if forwarded else [])


def _agree(p: EscalateProcessor, stores: Stores, cmd: dict[str, object], now: float) -> list[Outgoing]:
    sent = Record(
        CAT.in_operations(str(cmd["region"])), orjson.dumps(cmd), 9, 0, str(cmd["operation_id"]).encode()
    )
    out = _through(p, stores, [sent], now)
    temp = [
        o for o in out if o.topic == CAT.escalate_inbox and ("rax.esc.kind", b"temp") in (o.headers or [])
    ]
    forwarded = [Record(o.topic, o.value, 200 + i, 0, o.key, o.headers) for i, o in enumerate(temp)]
    return out + (turn(p, stores, forwarded, now) if forwarded else [])


def _match(category: str, at: datetime) -> Record:
    h = hit(
        event_id=str(uuid.uuid4()), plate=PLATE, region="500000", checkpoint_id="500000-KK-0001", pass_time=at
    )
    entry_id = str(uuid.uuid5(uuid.NAMESPACE_URL, category))
    m = match(
        hit=h,
        entry_id=entry_id,
        owner="500000",
        category=category,
        priority="normal",
        match_id=match_id(h.event_id, entry_id),
        matched_plate=PLATE,
    )
    return Record(CAT.matches, encode(m))


def _delivered(out: list[Outgoing]) -> list[Delivery]:
    return [decode(o.value or b"", Delivery) for o in out if o.topic.startswith(CAT.out_prefix)]


def _opened_and_kept(now: float) -> tuple[EscalateProcessor, Stores, str]:
    p, stores = processor()
    op_id, kept = _opened(p, stores, now)
    turn(p, stores, [kept], now)
    return p, stores, op_id


def test_matches_flow_to_the_members_under_a_temporary_agreement_until_the_operation_closes() -> None:
    now = time.time()
    p, stores, op_id = _opened_and_kept(now)
    at = datetime.fromtimestamp(now, UTC)
    before = _through(p, stores, [_match("drugs", at)], now)
    assert _delivered(before) == []  # the standing decision gave it to its owner only (the hot path's)

    out = _agree(p, stores, _agreement(op_id, now), now)
    audits = [decode(o.value or b"", AuditRecord) for o in out if o.topic == CAT.audit]
    assert sorted(a.recipient for a in audits) == ["500000", "510000"]  # the agreement, audited per member
    assert {a.reason for a in audits} == {AuditReason.TEMPORARY_AGREEMENT}

    out = _through(p, stores, [_match("drugs", at + timedelta(minutes=5))], now)
    (given,) = _delivered(out)
    assert given.recipient == "510000" and given.purpose == "interception"
    assert given.match is not None and "image_ref" not in given.match.redacted  # the standing one redacts it
    (audit,) = [decode(o.value or b"", AuditRecord) for o in out if o.topic == CAT.audit]
    assert audit.reason == AuditReason.TEMPORARY_AGREEMENT and audit.agreement_id == given.agreement_id
    assert len([o for o in out if o.topic == CAT.control_inbox]) == 1  # held to an acknowledgement
    assert p.metrics.temporary_deliveries._value.get() == 1
    # a category the temporary agreement does not broaden: nothing more
    assert _delivered(_through(p, stores, [_match("fugitive", at + timedelta(minutes=6))], now)) == []

    closed = _close(p, stores, op_id, "500000", "confirmed", now)
    ends = [o for o in closed if o.topic == CAT.escalate_inbox]
    turn(p, stores, [Record(o.topic, o.value, 300 + i, 0, o.key, o.headers) for i, o in enumerate(ends)], now)
    assert _delivered(_through(p, stores, [_match("drugs", at + timedelta(minutes=7))], now)) == []


def test_a_temporary_agreement_is_refused_from_a_member_beyond_the_members_agreements_or_the_operation() -> (
    None
):
    now = time.time()
    p, stores, op_id = _opened_and_kept(now)
    not_owner = _agreement(op_id, now, region="510000")
    assert _letter(_agree(p, stores, not_owner, now)).reason == DlqReason.NOT_AUTHORISED
    purpose = _agreement(op_id, now, purpose="statistics")  # no member's agreement lists it
    assert _letter(_agree(p, stores, purpose, now)).reason == DlqReason.NOT_AUTHORISED
    late = (datetime.fromtimestamp(now, UTC) + timedelta(days=60)).isoformat()  # after the operation's end
    assert (
        _letter(_agree(p, stores, _agreement(op_id, now, expires_at=late), now)).reason
        == DlqReason.NOT_AUTHORISED
    )
    unknown = _agreement("0" * 32, now)
    assert _letter(_agree(p, stores, unknown, now)).reason == DlqReason.UNKNOWN_REFERENCE
    bad = Record(CAT.in_operations("500000"), b'{"operation_id": 1}', 3, 0)
    assert _letter(turn(p, stores, [bad], now)).reason == DlqReason.SCHEMA_VIOLATION
    # nothing was accepted: a match flows to nobody new
    assert _delivered(_through(p, stores, [_match("drugs", datetime.fromtimestamp(now, UTC))], now)) == []


def test_an_expired_temporary_agreement_lets_nothing_flow() -> None:
    now = time.time()
    p, stores, op_id = _opened_and_kept(now)
    soon = (datetime.fromtimestamp(now, UTC) + timedelta(minutes=10)).isoformat()
    _agree(p, stores, _agreement(op_id, now, expires_at=soon), now)
    later = datetime.fromtimestamp(now, UTC) + timedelta(minutes=20)
    assert _delivered(_through(p, stores, [_match("drugs", later)], now + 1200)) == []


def test_the_match_decodes_from_the_header_it_rides_in() -> None:
    m = _match("drugs", datetime.now(UTC))
    assert decode(m.value() or b"", Match).hit.plate == PLATE
