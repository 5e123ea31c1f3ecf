"""Accountability traces without a broker: the records of a request thread become a timeline; the raw
filter finds what the decoded filter keeps; a region's threads fold from its deliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson

from ops.audit.index import AuditIndex, record_terms, term_hash
from ops.audit.query import Query, TraceSubject
from ops.audit.record import trace_record
from ops.audit.timeline import build_timeline
from ops.centre.requests import fold_threads
from ops.zone import load_zone_file
from schemas.audit import AuditRecord
from schemas.codec import decode, encode
from schemas.delivery import Delivery
from tests.support.control_harness import Harness
from tests.support.requests import answer, request

ZONE = load_zone_file(Path(__file__).resolve().parents[2] / "ops" / "zones" / "chuanyu.yaml")
LX, RC, CQ = "510521", "500153", "500000"


def thread_in_harness() -> tuple[Harness, str]:
    """泸县 asks 荣昌 and 重庆 about 川E12345; 荣昌 accepts and answers, 重庆 stays silent past the hour."""
    h = Harness(ZONE)
    req = request(LX, RC, CQ, category="fugitive", purpose="interception")
    h.send(h.cat.in_requests(LX), req.request_id.encode(), encode(req))
    for status in ("accepted", "answered"):
        a = answer(req, RC, status)
        h.send(h.cat.in_requests(RC), req.request_id.encode(), encode(a))
    h.tick(h.now + 3601)
    return h, req.request_id


def audit_log(h: Harness) -> list[tuple[bytes, bytes]]:
    return [(o.key or b"", o.value) for o in h.out(h.cat.audit) if o.value]


def scan(log: list[tuple[bytes, bytes]], query: Query) -> list[AuditRecord]:
    """What ``ops.audit.scan`` does per record, over an in-memory log."""
    found, followed = [], set()
    for key, value in log:
        if query.needle not in value and key not in followed:
            continue
        record = decode(value, AuditRecord)
        if query.selects(record, key, followed):
            found.append(record)
            followed.add(record.delivery_id.encode())
    return found


def test_a_request_thread_traced_by_plate_says_who_got_it_who_answered_and_who_was_late() -> None:
    h, request_id = thread_in_harness()
    log = audit_log(h)
    by_plate = scan(log, Query.of(TraceSubject.PLATE, "川e·12345"))  # normalised as the records hold it
    by_request = scan(log, Query.of(TraceSubject.REQUEST, request_id))
    assert len(by_plate) == len(log) == len(by_request) == 7  # 3 disclosures, 2 answers, 2 breaches
    timeline = build_timeline(by_plate)
    kinds = [e.kind for e in timeline.events]
    assert kinds[:3] == ["disclosed"] * 3 and kinds[3:5] == ["accepted", "answered"]
    assert kinds[5:] == ["breach", "breach"]
    parties = timeline.as_json()["parties"]
    assert parties[RC]["acted"][0].startswith("accepted ") and parties[RC]["breached"] == []
    assert sorted(b.split()[0] for b in parties[CQ]["breached"]) == ["acknowledge", "outcome"]
    assert len(parties[CQ]["received"]) == 1 and parties[CQ]["open"] == []
    assert LX not in parties or parties[LX]["received"] == []  # its own copy is no disclosure
    text = "\n".join(timeline.text())
    assert "under lx-rc-joint-office for interception" in text and "did not acknowledge" in text


def test_a_trace_of_another_plate_or_request_finds_nothing() -> None:
    h, _ = thread_in_harness()
    assert scan(audit_log(h), Query.of(TraceSubject.PLATE, "川E12346")) == []
    assert scan(audit_log(h), Query.of(TraceSubject.REQUEST, "00000000-0000-4000-8000-000000000000")) == []


def test_an_acknowledgement_is_found_through_the_delivery_it_answers() -> None:
    h, _ = thread_in_harness()
    log = audit_log(h)
    did = next(
        r for r in scan(log, Query.of(TraceSubject.PLATE, "川E12345")) if r.recipient == CQ
    ).delivery_id
    found = scan(log, Query.of(TraceSubject.DELIVERY, did))
    assert {(r.kind, r.act) for r in found} == {("request", None), ("deadline_breach", None)}


def test_the_trace_itself_is_an_audit_record_found_by_the_next_trace() -> None:
    query = Query.of(TraceSubject.PLATE, "川E12345")
    record = trace_record(query, LX, "510521-0001", "7 records of 7 scanned", datetime.now(UTC))
    log = [(record.delivery_id.encode(), encode(record))]
    (found,) = scan(log, query)
    event = build_timeline([found]).events[0]
    assert event.kind == "traced" and "510521-0001" in event.what
    assert orjson.loads(encode(record))["kind"] == "audit_trace"


def test_a_regions_threads_fold_from_its_out_topic() -> None:
    h, request_id = thread_in_harness()
    mine = [decode(o.value, Delivery) for o in h.out(h.cat.out(LX)) if o.value]
    (thread,) = fold_threads(mine).values()
    assert thread.statuses() == {RC: "answered", CQ: "pending"}
    summary = thread.summary(LX)
    assert summary["role"] == "requester" and sorted(summary["breaches"]) == [
        f"{CQ}:acknowledge",
        f"{CQ}:outcome",
    ]
    theirs = [decode(o.value, Delivery) for o in h.out(h.cat.out(RC)) if o.value]
    assert fold_threads(theirs)[request_id].summary(RC)["role"] == "recipient"


def test_the_index_terms_of_a_record_are_its_plates_subject_and_key(tmp_path: Path) -> None:
    h, request_id = thread_in_harness()
    key, value = audit_log(h)[0]
    assert record_terms(key, value) == {term_hash("川E12345"), term_hash(request_id), term_hash(key.decode())}
    assert record_terms(b"k", b"{not json") == set()
    index = AuditIndex(tmp_path / "i.sqlite")
    assert index.positions("t.audit") == {} and index.lookup("t.audit", ["川E12345"]) == set()
    index.close()
