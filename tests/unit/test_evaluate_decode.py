"""What the evaluator takes from each input record, and what it refuses (to rax.dlq.evaluate)."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest

from schemas.acks import Acknowledgement
from schemas.codec import DecodeError, decode, encode
from schemas.dlq import DlqReason
from schemas.requests import CooperationRequest, RequestAnswer
from schemas.topics import Catalogue
from streams.evaluate.decode import BadRecord, answer_of, audit_of, disclosure, disclosure_of
from streams.evaluate.facts import Answer, RequestFact
from streams.evaluate.ingest import Ingest, Located, RecordRef
from streams.evaluate.inputs import input_topics
from streams.evaluate.ledger import Ledger
from streams.evaluate.publish import Publisher
from streams.evaluate.requests import act_reply, request_events
from tests.support.evaluate import MONDAY, R1, R3, scripted_week
from tests.unit.models_factories import ack, audit_record, hit

CAT = Catalogue("rax")


def test_a_refusal_delivers_nothing_and_a_disclosure_is_a_delivery() -> None:
    assert (
        disclosure_of(encode(audit_record(decision="refused", reason="no_agreement", purpose=None))) is None
    )
    d = disclosure_of(encode(audit_record()))
    assert d is not None and d.recipient == "500153" and d.sighting is not None


def test_an_ack_on_another_regions_topic_is_refused_as_impersonation() -> None:
    ingest = Ingest(CAT, Ledger())
    with pytest.raises(BadRecord) as caught:
        ingest.add(RecordRef(CAT.in_acks("510000"), 0, 0, 1.0), encode(ack()))  # ack() is 500153's
    assert caught.value.reason is DlqReason.REGION_MISMATCH


def test_bytes_that_are_not_json_are_refused_with_the_codecs_reason() -> None:
    with pytest.raises(BadRecord) as caught:
        Ingest(CAT, Ledger()).add(RecordRef(CAT.audit, 0, 0, 1.0), b"\xff not json")
    assert caught.value.reason is DlqReason.INVALID_JSON


def test_a_repeated_ack_counts_once() -> None:
    ingest = Ingest(CAT, Ledger())
    ref = RecordRef(CAT.in_acks("500153"), 0, 7, 1.0)
    assert ingest.add(ref, encode(ack())) == []  # its delivery is not known yet: nothing to recompute
    ingest.add(RecordRef(CAT.in_acks("500153"), 1, 9, 2.0), encode(ack()))
    assert len(ingest.ledger.answers) == 1 and ingest.ledger.events == 1


def test_a_request_is_owed_by_each_recipient_and_an_answer_on_the_topic_counts_nothing() -> None:
    request = CooperationRequest.model_validate(
        {"request_id": "0d6f3c52-93a1-4d0e-8f7a-2c4e5b6a7d81", "requester": "510000",
         "recipients": ["500000", "500153"], "kind": "locate_vehicle", "category": "stolen_vehicle",
         "purpose": "interception", "legal_basis": "刑事诉讼法 第一百五十条", "priority": "high",
         "respond_by": "2026-12-01T12:00:00Z", "sent_at": "2026-12-01T08:00:00Z", "operator": "051234",
         "plate": "川A12345"}
    )  # fmt: skip
    facts = request_events(encode(request), "510000", 100.0)
    assert [(f.recipient, f.sent) for f in facts if isinstance(f, RequestFact)] == [
        ("500000", 100.0),
        ("500153", 100.0),
    ]
    answer = RequestAnswer.model_validate(
        {"answer_id": "1e7f3c52-93a1-4d0e-8f7a-2c4e5b6a7d81", "request_id": request.request_id,
         "region": "500000", "status": "declined", "at": "2026-12-01T09:00:00Z", "operator": "500000-1",
         "reason": "no such vehicle in our records"}
    )  # fmt: skip
    assert request_events(encode(answer), "500000", 200.0) == []  # its act record counts, below
    with pytest.raises(BadRecord):
        request_events(orjson.dumps({"type": "answer"}), "500000", 1.0)


def test_the_input_patterns_pick_every_regions_acks_hits_and_requests() -> None:
    existing = {
        "rax.audit",
        "rax.matches",
        "rax.in.510000.acks",
        "rax.in.510000.hits",
        "rax.in.500000.requests",
        "rax.in.500000.alerts",
        "rax.in.51.acks",
        "rax.out.510000",
    }
    assert input_topics(CAT, existing) == [
        "rax.audit",
        "rax.in.500000.requests",
        "rax.in.510000.acks",
        "rax.in.510000.hits",
        "rax.matches",
    ]


def _week_cards(
    located: Callable[[str, int, float], Located] = lambda t, o, ts: RecordRef(t, 0, o, ts),
) -> list[tuple[str, bytes]]:
    ingest, publisher, week = Ingest(CAT, Ledger(MONDAY.timestamp())), Publisher(), scripted_week(CAT)
    batch = ingest.add_batch([(located(r.topic, i, r.timestamp), r.value) for i, r in enumerate(week)])
    assert [x.reason for x in batch.refused] == [DlqReason.INVALID_JSON]
    publisher.mark(batch.dirty)
    return publisher.changed(ingest.ledger, full=True)


def test_faust_messages_are_counted_as_their_own_record_refs() -> None:
    """The app hands faust's messages (topic, partition, offset, timestamp in seconds) to ``add_batch``
    as they are, with no ``RecordRef`` per record: the scorecards are the same."""
    from faust.types import Message

    def message(topic: str, offset: int, timestamp: float) -> Located:
        return Message(topic, 0, offset, timestamp, 0, None, None, None, None)

    cards = _week_cards(message)
    assert cards == _week_cards() and len(cards) > 0


def test_the_fast_reader_and_the_models_give_the_same_scorecards(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _week_cards()
    for name in ("audit_fields", "ack_fields", "hit_fields"):
        monkeypatch.setattr(f"streams.evaluate.decode.{name}", lambda _value: None)
    assert _week_cards() == fast and len(fast) > 0


@pytest.mark.parametrize(
    "change",
    [
        {"ack_id": " 0B6F3C52-93A1-4D0E-8F7A-2C4E5B6A7D81 "},  # normalised as the model does
        {"at": "2026-12-01T16:00:00+08:00"},
        {"outcome": "eaten"},  # refused: the model's reason
        {"region": 500153},
        {"delivery_id": None},
    ],
)
def test_an_unusual_ack_reads_as_the_model_reads_it(change: dict[str, object]) -> None:
    raw = {**orjson.loads(encode(ack())), **change}
    value = orjson.dumps(raw)
    try:
        fast: Answer | DlqReason = answer_of(value, "500153", 1.0)
    except BadRecord as exc:
        fast = exc.reason
    try:
        a = decode(value, Acknowledgement)
        model = (a.ack_id, a.delivery_id, a.region, a.outcome.value)
    except DecodeError as exc:
        assert fast == exc.reason
        return
    assert not isinstance(fast, DlqReason)
    assert (fast.ack_id, fast.delivery_id, fast.region, fast.outcome) == model


def test_an_act_record_of_an_answer_is_a_reply_and_a_refusal_asks_nobody() -> None:
    audits = [audit_of(r.value) for r in scripted_week(CAT) if r.topic == CAT.audit]
    replies = [x for x in (act_reply(f) for f in audits) if x is not None]
    assert [(x.request_id, x.region, x.status) for x in replies] == [
        (R1, "500000", "accepted"),
        (R1, "500000", "declined"),
        (replies[2].request_id, "500000", "answered"),
    ]
    [refusal] = [f for f in audits if f.subject_id == R3]
    assert refusal.decision == "refused" and disclosure(refusal) is None and act_reply(refusal) is None


def _hit_on(region: str, change: dict[str, object]) -> bytes:
    return orjson.dumps({**orjson.loads(encode(hit(region=region))), **change})


@pytest.mark.parametrize(
    ("topic", "value", "reason"),
    [
        # a version the evaluator does not know: its fields may mean something else
        (CAT.in_hits("510521"), _hit_on("510521", {"schema_version": 2}), DlqReason.UNSUPPORTED_VERSION),
        (
            CAT.in_acks("500153"),
            orjson.dumps({**orjson.loads(encode(ack())), "schema_version": 99}),
            DlqReason.UNSUPPORTED_VERSION,
        ),
        (
            CAT.audit,
            orjson.dumps({**orjson.loads(encode(audit_record())), "schema_version": 2}),
            DlqReason.UNSUPPORTED_VERSION,
        ),
        # times the model refuses, which Python's fromisoformat reads: an ISO week date, the basic format,
        # an offset in seconds, an instant outside the years 1-9999
        (
            CAT.in_hits("510521"),
            _hit_on("510521", {"pass_time": "2024-W18-3T00:30:00+00:00"}),
            DlqReason.SCHEMA_VIOLATION,
        ),
        (
            CAT.in_hits("510521"),
            _hit_on("510521", {"pass_time": "20240501T003000+0000"}),
            DlqReason.SCHEMA_VIOLATION,
        ),
        (
            CAT.in_hits("510521"),
            _hit_on("510521", {"pass_time": "2024-05-01T00:30:00+00:00:30"}),
            DlqReason.SCHEMA_VIOLATION,
        ),
        (
            CAT.in_hits("510521"),
            _hit_on("510521", {"pass_time": "9999-12-31T23:59:59-01:00"}),
            DlqReason.IMPLAUSIBLE_TIME,
        ),
        (
            CAT.audit,
            orjson.dumps({**orjson.loads(encode(audit_record())), "at": "2024-W18-3T00:30:00Z"}),
            DlqReason.SCHEMA_VIOLATION,
        ),
    ],
)
def test_a_record_the_model_refuses_is_refused_though_its_counted_fields_read_fast(
    topic: str, value: bytes, reason: DlqReason
) -> None:
    with pytest.raises(BadRecord) as caught:
        Ingest(CAT, Ledger()).add(RecordRef(topic, 0, 0, 1.0), value)
    assert caught.value.reason is reason


@pytest.mark.parametrize(
    ("topic", "change"),
    [
        (CAT.in_acks("500153"), {"ack_id": "not-a-uuid"}),  # the ledger's key of an answer
        (CAT.in_acks("500153"), {"delivery_id": "zz"}),  # the delivery it answers
        (CAT.audit, {"delivery_id": "x"}),  # the ledger's key of a delivery
        (CAT.audit, {"recipient": "abc"}),  # whose scorecard it counts in
        (CAT.audit, {"owner": "abc"}),
    ],
)
def test_an_id_or_region_the_model_refuses_is_refused_though_it_reads_fast(
    topic: str, change: dict[str, object]
) -> None:
    base = ack() if topic != CAT.audit else audit_record()
    value = orjson.dumps({**orjson.loads(encode(base)), **change})
    with pytest.raises(BadRecord) as caught:
        Ingest(CAT, Ledger()).add(RecordRef(topic, 0, 0, 1.0), value)
    assert caught.value.reason is DlqReason.SCHEMA_VIOLATION
