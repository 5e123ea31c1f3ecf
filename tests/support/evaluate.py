"""The evaluator's scripted week as wire records, and its hand-computed scorecard figures.

Week of Monday 2026-11-30 (UTC). Region A (510000) owns two entries; region B (500000) reads with two
checkpoints, 10 reads an hour each, and receives A's matches:

* d1 — Tue 10:00, entry E1 (intercept, urgent), exact at CP1: acknowledged after 5 min, intercepted
  after 30 min (deadlines 10 min / 1 h: on time);
* d2 — Tue 10:20, E1, misread at CP1: acknowledged after 15 min (late), false positive after 50 min;
* d3 — Wed 09:00, entry E2 (discreet report, normal), exact at CP2: acknowledged after 2 h (deadline
  1 h: late), never an outcome (due 12 h later: a breach by the end of the week);
* A's own copy of d1 (owed nothing) and one refusal (delivers nothing);
* CP2 goes silent from Saturday 00:00; CP1 reads on; CP1's reads reach the exchange 1.5 s after the
  pass, CP2's 4 s after;
* one bad ack (not JSON) for the dead-letter topic;
* cooperation requests of A, on A's requests topic and as the control app records them in ``rax.audit``
  (``streams/control/requests/records.py``): R1 (Thu 08:00, respond by 12:00) to B, delivered; B
  accepts at 08:30 and declines at 09:00 (on time). R2 (Thu 10:00, respond by 11:00) to B, delivered; B
  answers at 11:30 (late: a breach). R3 (Thu 08:00) to 500153, refused under the consent rule (a refusal
  audit record, nothing delivered): 500153 was never asked. B's answers are on its requests topic too;
  the act records (one second after each) are what counts.
  So B's requests: received 2, answered 1, declined 1, breaches 1; 500153 has no scorecard.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.acks import Acknowledgement
from schemas.audit import AuditRecord, audit_id
from schemas.codec import encode
from schemas.delivery import delivery_id
from schemas.hits import CheckpointHit
from schemas.matching import Match, match_id
from schemas.requests import CooperationRequest, RequestAnswer
from schemas.topics import Catalogue

__all__ = ["CP1", "CP2", "E1", "E2", "MONDAY", "R1", "R2", "R3", "A", "B", "Rec", "scripted_week"]

A, B = "510000", "500000"
CP1, CP2 = "500000-KK-0001", "500000-KK-0002"
E1, E2 = "5d1e0c9a-2b7f-4e8a-9c3d-6f4a2b1e0d97", "6e2f1d0b-3c8a-4f9b-8d4e-7a5b3c2f1e08"
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
_NS = uuid.UUID("8c0ffee0-0000-4000-8000-000000000000")
R1, R2, R3 = (str(uuid.uuid5(uuid.UUID("8c0ffee0-0000-4000-8000-000000000001"), r)) for r in "123")


@dataclass(frozen=True)
class Rec:
    """One record to put on a topic: its key, value and timestamp (epoch seconds)."""

    topic: str
    key: bytes
    value: bytes
    timestamp: float


def _id(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "/".join(parts)))


def _hit(checkpoint: str, plate: str, at: datetime, n: int) -> CheckpointHit:
    return CheckpointHit.model_validate(
        {
            "event_id": _id("hit", checkpoint, str(n)),
            "checkpoint_id": checkpoint,
            "region": B,
            "plate": plate,
            "plate_colour": "blue",
            "pass_time": at,
        }
    )


def _match(hit: CheckpointHit, entry: str, kind: str, action: str, priority: str) -> Match:
    return Match.model_validate(
        {
            "match_id": match_id(hit.event_id, entry),
            "hit": hit,
            "entry_id": entry,
            "owner": A,
            "category": "stolen_vehicle",
            "action": action,
            "priority": priority,
            "kind": kind,
            "score": 1.0 if kind == "exact" else 0.85,
            "edits": 0 if kind == "exact" else 1,
            "matched_plate": hit.plate,
            "operator": "051234",
            "legal_basis": "刑事诉讼法 第一百五十条",
            "approval": {
                "unit": "四川省公安厅",
                "approver": "张警官 051234",
                "approved_at": "2026-11-01T10:00:00Z",
                "reference": "川公(刑)布字[2026]17号",
            },
            "matched_at": hit.pass_time,
        }
    )


def _audit(m: Match, recipient: str, at: datetime, decision: str = "disclosed") -> AuditRecord:
    did = delivery_id(m.hit.event_id, m.entry_id, recipient)
    basis: dict[str, Any] = (
        {"reason": "owner"}
        if recipient == A
        else {"reason": "agreement", "read_agreement_id": "cq-500000-510000", "purpose": "interception"}
        if decision == "disclosed"
        else {"reason": "no_agreement", "refused_by": "read"}
    )
    return AuditRecord.model_validate(
        {
            "audit_id": audit_id(did),
            "delivery_id": did,
            "kind": "match",
            "recipient": recipient,
            "owner": A,
            "subject_id": m.entry_id,
            "plates": [m.hit.plate],
            "hit_region": B,
            "decision": decision,
            "at": at,
            "source_time": m.hit.pass_time,
            **basis,
        }
    )


def _ack(did: str, outcome: str, at: datetime) -> Acknowledgement:
    return Acknowledgement.model_validate(
        {
            "ack_id": _id("ack", did, outcome),
            "delivery_id": did,
            "region": B,
            "outcome": outcome,
            "at": at,
            "operator": "500000-0815",
        }
    )


def _request(rid: str, to: str, sent: datetime, due: datetime) -> CooperationRequest:
    return CooperationRequest.model_validate(
        {"request_id": rid, "requester": A, "recipients": [to], "kind": "locate_vehicle",
         "category": "stolen_vehicle", "purpose": "interception", "legal_basis": "刑事诉讼法 第一百五十条",
         "priority": "high", "respond_by": due, "sent_at": sent, "operator": "051234", "plate": "川A12345"}
    )  # fmt: skip


def _request_audit(q: CooperationRequest, to: str, at: datetime, refused: bool = False) -> AuditRecord:
    """The control app's record of a request delivered (or refused) to ``to``."""
    did = delivery_id(q.request_id, A, to)
    basis: dict[str, Any] = (
        {"decision": "refused", "reason": "no_agreement", "refused_by": "entry"}
        if refused
        else {"decision": "disclosed", "reason": "agreement", "agreement_id": f"cq-{A}-{to}"}
    )
    return AuditRecord.model_validate(
        {"audit_id": audit_id(did), "delivery_id": did, "kind": "request", "recipient": to, "owner": A,
         "subject_id": q.request_id, "plates": [q.plate], "purpose": "interception", "at": at,
         "source_time": q.sent_at, "actor": q.operator, **basis}
    )  # fmt: skip


def _act(q: CooperationRequest, a: RequestAnswer, at: datetime) -> AuditRecord:
    """The control app's act record of B's answer delivered to A (keyed by the request's delivery)."""
    did = delivery_id(a.answer_id, q.request_id, A)
    return AuditRecord.model_validate(
        {"audit_id": audit_id(did), "delivery_id": did, "kind": "request_answer", "recipient": A,
         "owner": B, "subject_id": q.request_id, "plates": [q.plate], "decision": "disclosed",
         "reason": "agreement", "agreement_id": f"cq-{B}-{A}", "purpose": "interception", "at": at,
         "source_time": q.sent_at, "act": a.status.value, "actor": a.operator,
         "refers_to": delivery_id(q.request_id, A, B), "detail": a.reason or a.text or a.status.value}
    )  # fmt: skip


def _requests(cat: Catalogue) -> list[Rec]:
    thu, s = MONDAY + timedelta(days=3), timedelta(seconds=1)
    recs: list[Rec] = []
    script = [  # (request, to, sent, respond by, B's answers: (status, at))
        (R1, B, thu + timedelta(hours=8), thu + timedelta(hours=12),
         [("accepted", thu + timedelta(hours=8, minutes=30)), ("declined", thu + timedelta(hours=9))]),
        (R2, B, thu + timedelta(hours=10), thu + timedelta(hours=11),
         [("answered", thu + timedelta(hours=11, minutes=30))]),
        (R3, "500153", thu + timedelta(hours=8), thu + timedelta(hours=12), []),
    ]  # fmt: skip
    for rid, to, sent, due, answers in script:
        q = _request(rid, to, sent, due)
        recs.append(Rec(cat.in_requests(A), rid.encode(), encode(q), sent.timestamp()))
        rec = _request_audit(q, to, sent + s, refused=to != B)
        recs.append(Rec(cat.audit, rec.delivery_id.encode(), encode(rec), (sent + s).timestamp()))
        for n, (status, at) in enumerate(answers):
            a = RequestAnswer.model_validate(
                {"answer_id": _id("answer", rid, str(n)), "request_id": rid, "region": B, "status": status,
                 "at": at, "operator": "500000-0815", "reason": "vehicle not in our area" if status ==
                 "declined" else None, "text": "seen at CP1" if status == "answered" else None}
            )  # fmt: skip
            recs.append(Rec(cat.in_requests(B), rid.encode(), encode(a), at.timestamp()))
            act = _act(q, a, at + s)
            recs.append(Rec(cat.audit, rec.delivery_id.encode(), encode(act), (at + s).timestamp()))
    return recs


def scripted_week(cat: Catalogue) -> list[Rec]:
    """Every record of the week, in time order (a test may shuffle and repeat them)."""
    recs: list[Rec] = []
    # reads: 10 an hour per checkpoint, 6 minutes apart; CP2 none from Saturday
    for hour in range(7 * 24):
        for cp, delay in ((CP1, 1.5), (CP2, 4.0)):
            if cp == CP2 and hour >= 5 * 24:
                continue
            for i in range(10):
                at = MONDAY + timedelta(hours=hour, minutes=6 * i)
                h = _hit(cp, "渝B00000", at, hour * 10 + i)
                recs.append(Rec(cat.in_hits(B), h.plate.encode(), encode(h), at.timestamp() + delay))
    tue, wed = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    script = [  # (checkpoint, entry, kind, action, priority, made at, answers: (outcome, after seconds))
        (
            CP1,
            E1,
            "exact",
            "intercept",
            "urgent",
            tue + timedelta(hours=10),
            [("received", 300), ("intercepted", 1800)],
        ),
        (
            CP1,
            E1,
            "misread",
            "intercept",
            "urgent",
            tue + timedelta(hours=10, minutes=20),
            [("received", 900), ("false_positive", 3000)],
        ),
        (CP2, E2, "exact", "discreet_report", "normal", wed + timedelta(hours=9), [("received", 7200)]),
    ]
    for n, (cp, entry, kind, action, priority, made, answers) in enumerate(script):
        h = _hit(cp, "川A12345", made - timedelta(seconds=2), 100_000 + n)
        m = _match(h, entry, kind, action, priority)
        recs.append(Rec(cat.matches, m.match_id.encode(), encode(m), made.timestamp()))
        a = _audit(m, B, made)
        recs.append(Rec(cat.audit, a.delivery_id.encode(), encode(a), made.timestamp()))
        for outcome, after in answers:
            ack = _ack(a.delivery_id, outcome, made + timedelta(seconds=after))
            recs.append(Rec(cat.in_acks(B), a.delivery_id.encode(), encode(ack), made.timestamp() + after))
        if n == 0:
            own = _audit(m, A, made)  # the owner's own copy: owed nothing
            recs.append(Rec(cat.audit, own.delivery_id.encode(), encode(own), made.timestamp()))
            refused = _audit(m, "500153", made, "refused")
            recs.append(Rec(cat.audit, refused.delivery_id.encode(), encode(refused), made.timestamp()))
    bad_at = (tue + timedelta(hours=12)).timestamp()
    recs.append(Rec(cat.in_acks(B), b"bad", b"not json", bad_at))
    recs += _requests(cat)
    return sorted(recs, key=lambda r: r.timestamp)
