"""Scorecards of the scripted week equal hand-computed figures; a replay in any order gives the same bytes."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta

import pytest

from schemas.audit import AuditRecord
from schemas.codec import decode, encode
from schemas.scorecard import CheckpointStatus, Period
from schemas.topics import Catalogue
from streams.evaluate.decode import BadRecord
from streams.evaluate.facts import Disclosure, RequestFact, RequestReply
from streams.evaluate.ingest import Ingest, RecordRef
from streams.evaluate.ledger import Ledger
from streams.evaluate.periods import period_start
from streams.evaluate.publish import Publisher
from streams.evaluate.scorecard import scorecard
from tests.support.evaluate import CP1, CP2, E1, E2, MONDAY, R3, A, B, Rec, scripted_week

CAT = Catalogue("rax")
T0 = MONDAY.timestamp()
DAY = 86400


def _feed(recs: list[tuple[int, Rec]]) -> tuple[Ledger, Publisher, int]:
    ledger, publisher, refused = Ledger(T0), Publisher(), 0
    ingest = Ingest(CAT, ledger)
    for offset, r in recs:
        try:
            publisher.mark(ingest.add(RecordRef(r.topic, 0, offset, r.timestamp), r.value))
        except BadRecord:
            refused += 1
    return ledger, publisher, refused


def _with_offsets(recs: list[Rec]) -> list[tuple[int, Rec]]:
    """Each record at its offset in its topic (one partition each), as a broker would number them."""
    nxt: defaultdict[str, int] = defaultdict(int)
    out = []
    for r in recs:
        out.append((nxt[r.topic], r))
        nxt[r.topic] += 1
    return out


@pytest.fixture(scope="module")
def week() -> tuple[Ledger, Publisher, int]:
    return _feed(_with_offsets(scripted_week(CAT)))


def test_the_weeks_acknowledgements_and_answers(week: tuple[Ledger, Publisher, int]) -> None:
    card = scorecard(week[0], B, Period.WEEK, int(T0))
    ack, answer = card.acknowledge, card.answer
    # owed by d1, d2, d3 (not A's own copy, not the refusal); 5 min, 15 min, 2 h
    # late: d2 (> 10 min), d3 (> 1 h)
    assert (ack.owed, ack.answered, ack.p50_s, ack.p90_s, ack.breaches) == (3, 3, 900.0, 7200.0, 2)
    # outcomes owed by all three (intercept, discreet report); d3 never answered, past its 12 h by Sunday
    assert (answer.owed, answer.answered, answer.p50_s, answer.p90_s, answer.breaches) == (
        3,
        2,
        1800.0,
        3000.0,
        1,
    )
    assert card.outcome_reporting_rate == 0.6667
    kinds = {k.kind.value: k for k in card.outcomes}
    assert (kinds["exact"].reported, kinds["exact"].interception_rate, kinds["exact"].false_hit_rate) == (
        1,
        1.0,
        0.0,
    )
    assert (kinds["misread"].reported, kinds["misread"].false_hit_rate) == (1, 1.0)
    assert kinds["partial"].reported == 0 and kinds["partial"].false_hit_rate is None
    # R1 declined on time, R2 answered half an hour late; R3 was refused to 500153 and asked nobody
    assert card.requests is not None
    assert card.requests.model_dump() == {"received": 2, "answered": 1, "declined": 1, "breaches": 1}


def test_the_owner_sees_its_entries(week: tuple[Ledger, Publisher, int]) -> None:
    card = scorecard(week[0], A, Period.WEEK, int(T0))
    entries = {e.entry_id: e for e in card.entries}
    e1, e2 = entries[E1], entries[E2]
    assert (e1.deliveries, e1.acknowledged, e1.reported, e1.intercepted, e1.false_positive) == (2, 2, 2, 1, 1)
    assert (e2.deliveries, e2.acknowledged, e2.reported) == (1, 1, 0)
    assert card.acknowledge.owed == 0  # A received only its own copy


def test_a_silent_checkpoint_against_its_baseline(week: tuple[Ledger, Publisher, int]) -> None:
    saturday = int(T0) + 5 * DAY
    cards = {c.checkpoint_id: c for c in scorecard(week[0], B, Period.DAY, saturday).checkpoints}
    assert (cards[CP2].reads, cards[CP2].baseline_per_hour, cards[CP2].expected) == (0, 10.0, 240.0)
    assert cards[CP2].status is CheckpointStatus.SILENT
    assert (cards[CP1].reads, cards[CP1].status) == (240, CheckpointStatus.OK)
    # the first day has no baseline yet; the week none either (nothing the week before)
    monday = {c.checkpoint_id: c for c in scorecard(week[0], B, Period.DAY, int(T0)).checkpoints}
    assert monday[CP1].status is CheckpointStatus.UNKNOWN
    assert scorecard(week[0], B, Period.WEEK, int(T0)).checkpoints[1].status is CheckpointStatus.UNKNOWN


def test_matches_per_checkpoint_and_freshness(week: tuple[Ledger, Publisher, int]) -> None:
    tuesday = scorecard(week[0], B, Period.DAY, int(T0) + DAY)
    cp1 = next(c for c in tuesday.checkpoints if c.checkpoint_id == CP1)
    assert (cp1.matches, cp1.intercepted, cp1.false_positive) == (2, 1, 1)
    fresh = scorecard(week[0], B, Period.WEEK, int(T0)).freshness
    # 1,680 reads of CP1 at 1.5 s (bucket ≤ 2 s), 1,200 of CP2 at 4 s (≤ 5 s): p50 in one, p90 the other
    assert (fresh.reads, fresh.p50_s, fresh.p90_s) == (2880, 2.0, 5.0)


def test_an_hour_card_and_its_deadline_judged_at_the_latest_event(
    week: tuple[Ledger, Publisher, int],
) -> None:
    ten = int(T0) + DAY + 10 * 3600
    card = scorecard(week[0], B, Period.HOUR, ten)
    assert card.acknowledge.owed == 2 and card.acknowledge.breaches == 1
    assert card.as_of == MONDAY + timedelta(days=2, hours=11)  # the hour's end + 24 h: settled


def test_a_bad_record_is_refused_not_counted(week: tuple[Ledger, Publisher, int]) -> None:
    assert week[2] == 1


def test_a_replay_in_any_order_with_repeats_gives_identical_scorecards(
    week: tuple[Ledger, Publisher, int],
) -> None:
    expected = week[1].changed(week[0], full=True)
    recs = _with_offsets(scripted_week(CAT))
    rng = random.Random(15)
    by_topic: defaultdict[str, list[tuple[int, Rec]]] = defaultdict(list)
    for item in recs:
        by_topic[item[1].topic].append(item)
    # partitions stay in offset order (as Kafka delivers them), topics interleave at random, and a
    # stretch of every topic is delivered twice (a rebalance's repeats)
    streams = {t: items[: len(items) // 2] + items[len(items) // 3 :] for t, items in by_topic.items()}
    mixed: list[tuple[int, Rec]] = []
    while streams:
        t = rng.choice(sorted(streams))
        mixed.append(streams[t].pop(0))
        if not streams[t]:
            del streams[t]
    ledger, publisher, _ = _feed(mixed)
    assert publisher.changed(ledger, full=True) == expected
    assert len(expected) == len(week[1].known()) > 0


def _sealed(r: Rec) -> Rec:
    """A match's audit record as the hot path writes it for a delivery sealed to its recipient's key:
    without the plate (``schemas.match_records.match_audit``)."""
    if r.topic != CAT.audit:
        return r
    rec = decode(r.value, AuditRecord)
    if rec.kind != "match" or rec.recipient != B:
        return r
    sealed = rec.model_copy(update={"plates": (), "sealed_to": "k-500000"})
    return Rec(r.topic, r.key, encode(sealed), r.timestamp)


def test_a_sealed_delivery_is_held_to_its_matchs_deadlines(week: tuple[Ledger, Publisher, int]) -> None:
    """An audit record without the plate still names the match it delivered (its delivery id): B's
    urgent intercepts owe a 10 min acknowledgement and a final outcome whether or not they were sealed."""
    ledger, _, _ = _feed(_with_offsets([_sealed(r) for r in scripted_week(CAT)]))
    for region in (A, B):
        assert scorecard(ledger, region, Period.WEEK, int(T0)) == scorecard(
            week[0], region, Period.WEEK, int(T0)
        )
    tuesday = scorecard(ledger, B, Period.DAY, int(T0) + DAY)
    assert (tuesday.acknowledge.breaches, tuesday.answer.owed, tuesday.checkpoints[0].matches) == (1, 2, 2)


def test_a_refused_recipient_was_not_asked_and_a_region_asked_nothing_has_no_scorecard(
    week: tuple[Ledger, Publisher, int],
) -> None:
    ledger, publisher, _ = week
    assert (R3, "500153") in ledger.requests and (R3, "500153") not in ledger.delivered
    assert {k.region for k in publisher.known()} == {A, B}
    thursday = scorecard(ledger, B, Period.DAY, int(T0 + 3 * DAY))
    assert thursday.requests is not None and thursday.requests.received == 2
    owner = scorecard(ledger, A, Period.WEEK, int(T0))  # A asked, it was asked nothing
    assert owner.requests is not None and owner.requests.received == 0


def _delivered(request_id: str, at: float) -> Disclosure:
    return Disclosure(f"d-{request_id}", "request", B, A, request_id, at, None)


def test_requests_count_received_declined_and_late() -> None:
    ledger = Ledger(T0)
    thu = T0 + 3 * DAY
    ledger.add_request(RequestFact("r1", A, B, thu + 8 * 3600, thu + 12 * 3600))
    ledger.add_disclosure(_delivered("r1", thu + 8 * 3600 + 1))
    ledger.add_reply(RequestReply("x1", "r1", B, "accepted", thu + 8.5 * 3600))
    ledger.add_reply(RequestReply("x2", "r1", B, "declined", thu + 9 * 3600))
    ledger.add_request(RequestFact("r2", A, B, thu + 10 * 3600, thu + 11 * 3600))
    ledger.add_disclosure(_delivered("r2", thu + 10 * 3600 + 1))
    ledger.add_reply(RequestReply("x3", "r2", B, "answered", thu + 11.5 * 3600))
    ledger.add_request(RequestFact("r3", A, B, thu + 10 * 3600, thu + 11 * 3600))  # never delivered
    card = scorecard(ledger, B, Period.WEEK, int(T0))
    assert card.requests is not None
    assert card.requests.model_dump() == {"received": 2, "answered": 1, "declined": 1, "breaches": 1}


@pytest.mark.parametrize("order", ["forged first", "real first", "delivered first", "delivered last"])
def test_a_request_id_reused_by_another_region_counts_only_as_the_request_delivered(order: str) -> None:
    """A third region reusing A's request id (the control app refuses it) with a 2 s deadline must not
    make B's on-time answer a breach, whichever topic the evaluator reads first."""
    thu = T0 + 3 * DAY
    real = RequestFact("r7", A, B, thu + 8 * 3600, thu + 8 * 3600 + 600)
    forged = RequestFact("r7", "500000", B, thu + 8 * 3600 + 1, thu + 8 * 3600 + 3)
    delivered = _delivered("r7", thu + 8 * 3600 + 1)
    steps = {
        "forged first": [forged, real, delivered],
        "real first": [real, forged, delivered],
        "delivered first": [delivered, forged, real],
        "delivered last": [forged, delivered, real],
    }[order]
    ledger = Ledger(T0)
    for step in steps:
        if isinstance(step, Disclosure):
            ledger.add_disclosure(step)
        else:
            ledger.add_request(step)
    ledger.add_reply(RequestReply("x7", "r7", B, "answered", thu + 8 * 3600 + 9))
    card = scorecard(ledger, B, Period.WEEK, int(T0))
    assert card.requests is not None
    assert card.requests.model_dump() == {"received": 1, "answered": 1, "declined": 0, "breaches": 0}
    assert ledger.requests[("r7", B)] == real


def test_a_reused_request_id_moves_the_clock_whichever_topic_is_read_first() -> None:
    """The clock deadlines are judged at (``as_of``) is the latest event read, so a refused reuse of a
    request id read last must move it as it does when read first: the same events, the same scorecard."""
    real = RequestFact("r7", A, B, T0 + 3600, T0 + 7200)
    delivered = _delivered("r7", T0 + 3601)
    forged = RequestFact("r7", "520000", B, T0 + 3 * 3600, T0 + 3 * 3600 + 5)
    cards = []
    for steps in ((real, delivered, forged), (forged, real, delivered), (delivered, forged, real)):
        ledger = Ledger(T0)
        for step in steps:
            if isinstance(step, Disclosure):
                ledger.add_disclosure(step)
            else:
                ledger.add_request(step)
        cards.append(scorecard(ledger, B, Period.DAY, int(T0)))
    assert cards[0] == cards[1] == cards[2]
    assert cards[0].requests is not None and cards[0].requests.breaches == 1  # unanswered at 03:00


def test_an_answers_later_copy_wins_in_any_order() -> None:
    """An aborted transaction's copy of an act record (seen read-uncommitted) is followed by its retry's."""
    thu = T0 + 3 * DAY
    early = RequestReply("x1", "r1", B, "declined", thu + 13 * 3600)
    late = RequestReply("x1", "r1", B, "declined", thu + 11 * 3600)
    cards = []
    for replies in ((early, late), (late, early)):
        ledger = Ledger(T0)
        ledger.add_request(RequestFact("r1", A, B, thu + 8 * 3600, thu + 12 * 3600))
        ledger.add_disclosure(_delivered("r1", thu + 8 * 3600))
        for r in replies:
            ledger.add_reply(r)
        cards.append(scorecard(ledger, B, Period.WEEK, int(T0)))
    assert cards[0] == cards[1] and cards[0].requests is not None and cards[0].requests.breaches == 1


def test_weeks_start_on_monday() -> None:
    assert period_start(Period.WEEK, T0 + 3.5 * DAY) == T0
    assert period_start(Period.DAY, T0 + 3.5 * DAY) == T0 + 3 * DAY
