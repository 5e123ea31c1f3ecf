"""The console's cooperation requests, operation agreements, scorecard and trace pages; who may use them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ops.audit import build_timeline
from ops.console import ConsoleSettings, Role
from ops.console.actions import ActionError
from ops.console.app import build_app
from ops.console.auth import Auth
from ops.console.cooperation import reply_of, request_of, terms_of
from ops.console.items import item_of
from ops.console.publisher import Publisher
from ops.console.render import item_html, page
from ops.console.review import scorecard_page, trace_page
from ops.console.state import ConsoleState
from schemas.acks import Acknowledgement
from schemas.audit import audit_id
from schemas.codec import encode
from schemas.delivery import Delivery
from schemas.kafka_settings import KafkaSettings
from schemas.requests import CooperationRequest, RequestAnswer
from schemas.scorecard import Period
from schemas.zone import DEFAULT_REJECT_REASONS
from streams.control.config import DeadlinePolicy
from tests.support.console import answer_delivery, own_operation, request_delivery, scorecard
from tests.support.requests import answer, request
from tests.unit.models_factories import audit_record

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
LUXIAN, RONGCHANG = "510521", "500153"
REQUEST_FORM = {
    "recipients": "500153， 500000",
    "kind": "locate_vehicle",
    "category": "stolen_vehicle",
    "purpose": "investigation",
    "legal_basis": "立案决定书 泸公刑立字〔2026〕123号",
    "priority": "high",
    "respond_within": "30",
    "plate": "川E12345",
}


def test_a_request_form_becomes_the_officers_request_to_the_partners() -> None:
    req = request_of(REQUEST_FORM, LUXIAN, "510521-0042", NOW)
    assert (req.requester, req.recipients, req.operator) == (LUXIAN, ("500153", "500000"), "510521-0042")
    assert req.respond_by == NOW + timedelta(minutes=30) and req.plate == "川E12345"
    with pytest.raises(ActionError, match="plate"):
        request_of({**REQUEST_FORM, "plate": ""}, LUXIAN, "o", NOW)  # a vehicle request names the plate
    with pytest.raises(ActionError, match="itself"):
        request_of({**REQUEST_FORM, "recipients": LUXIAN}, LUXIAN, "o", NOW)
    window = {"kind": "checkpoint_reads", "checkpoint": "K12", "window_from": "2026-12-05T08:00",
              "window_to": "2026-12-05T09:00"}  # fmt: skip
    reads = request_of({**REQUEST_FORM, **window}, LUXIAN, "o", NOW)
    assert reads.window_from == datetime(2026, 12, 5, 8, tzinfo=UTC)


@pytest.mark.parametrize("within", ["nan", "inf", "-inf", "1e20", "1e300"])
def test_a_request_form_with_minutes_no_deadline_can_be_is_refused_with_a_reason(within: str) -> None:
    # a 500 before: timedelta() raised ValueError / OverflowError, not the form's ActionError
    with pytest.raises(ActionError, match="respond within"):
        request_of({**REQUEST_FORM, "respond_within": within}, LUXIAN, "o", NOW)


def test_a_window_given_with_an_offset_is_that_instant_not_the_same_digits_in_utc() -> None:
    window = {"kind": "checkpoint_reads", "checkpoint": "K12", "window_from": "2026-12-05T08:00+08:00",
              "window_to": "2026-12-05T09:00+08:00"}  # fmt: skip
    reads = request_of({**REQUEST_FORM, **window}, LUXIAN, "o", NOW)
    assert reads.window_from == datetime(2026, 12, 5, 0, 0, tzinfo=UTC)


def test_answers_accept_answer_with_references_or_decline_with_a_reason() -> None:
    base = {"request_id": request(LUXIAN, RONGCHANG).request_id}
    accepted = reply_of({**base, "status": "accepted"}, RONGCHANG, "500153-0007", NOW)
    assert (accepted.status.value, accepted.operator, accepted.region) == (
        "accepted",
        "500153-0007",
        RONGCHANG,
    )
    ref = "https://evidence.500153.example/k12.jpg#sha256=" + "AB" * 32
    answered = reply_of({**base, "status": "answered", "text": "seen at K12", "attachments": ref}, RONGCHANG,
                        "o", NOW)  # fmt: skip
    assert answered.attachments[0].uri.endswith("k12.jpg") and answered.attachments[0].sha256 == "ab" * 32
    with pytest.raises(ActionError, match="reason"):
        reply_of({**base, "status": "declined"}, RONGCHANG, "o", NOW)
    with pytest.raises(ActionError, match="sha256"):
        reply_of({**base, "status": "answered", "attachments": "k12.jpg"}, RONGCHANG, "o", NOW)
    with pytest.raises(ActionError, match="unknown"):
        reply_of({**base, "status": "ignored"}, RONGCHANG, "o", NOW)


def test_a_request_is_answered_by_its_recipient_with_answers_never_with_an_acknowledgement() -> None:
    req = request(LUXIAN, RONGCHANG)
    item = item_of(encode(request_delivery(req, RONGCHANG)), RONGCHANG, DeadlinePolicy())
    assert item is not None and item.request_id == req.request_id and not item.answerable
    assert item.due_ms is not None  # its clock: an answer of any kind is owed
    card = item_html(item, "c", Role.DUTY_OFFICER, DEFAULT_REJECT_REASONS)
    assert "reply-accepted" in card and "reply-declined" in card and 'action="/act"' not in card
    assert "/reply" not in item_html(item, "c", Role.VIEWER, DEFAULT_REJECT_REASONS)
    own = item_of(encode(request_delivery(req, LUXIAN)), LUXIAN, DeadlinePolicy())
    assert own is not None and own.request_id is None and own.due_ms is None  # the requester's copy
    assert "/reply" not in item_html(own, "c", Role.SUPERVISOR, DEFAULT_REJECT_REASONS)


def _settings(tmp_path: Path, region: str = LUXIAN, **over: Any) -> ConsoleSettings:
    return ConsoleSettings(kafka=KafkaSettings(bootstrap_servers="127.0.0.1:9"), region=region,
                           officers=tmp_path / "officers.json", journal=tmp_path / "journal.jsonl",
                           **over)  # fmt: skip


@pytest.mark.parametrize("answer_first", [False, True])
def test_the_requester_follows_the_thread_on_its_request_card(tmp_path: Path, answer_first: bool) -> None:
    req = request(LUXIAN, RONGCHANG, "500000")
    state = ConsoleState(_settings(tmp_path), "e")
    replies = [answer(req, RONGCHANG, "accepted"), answer(req, "500000", "declined")]
    records = [encode(request_delivery(req, LUXIAN)), *(encode(answer_delivery(a, LUXIAN)) for a in replies)]
    for raw in reversed(records) if answer_first else records:  # partitions give no order across them
        state.record(raw)
    head = state.history.get(request_delivery(req, LUXIAN).delivery_id)
    assert head is not None
    assert sorted(head.answers) == ["500000 declined", "500153 accepted"]
    reason = state.history.get(answer_delivery(replies[1], LUXIAN).delivery_id)
    assert reason is not None and ("reason", "no checkpoint on that road") in reason.fields


def test_the_owner_sees_the_evidence_and_may_give_a_temporary_agreement() -> None:
    d = own_operation(RONGCHANG, LUXIAN)
    item = item_of(encode(d), RONGCHANG, DeadlinePolicy())
    assert item is not None
    evidence = [v for k, v in item.fields if k.startswith("evidence")]
    assert len(evidence) == 2 and LUXIAN in evidence[0] and "川A12345" in evidence[0]
    assert "agree-op" in item_html(item, "c", Role.DUTY_OFFICER, DEFAULT_REJECT_REASONS)
    assert "agree-op" not in item_html(item, "c", Role.VIEWER, DEFAULT_REJECT_REASONS)
    terms = terms_of({"categories": "drugs", "unredact": "image_ref", "purpose": "interception",
                      "legal_basis": "第二百六十四条", "hours": "48"})  # fmt: skip
    assert (terms.categories[0].value, terms.unredact[0].value, terms.hours) == ("drugs", "image_ref", 48.0)
    with pytest.raises(ActionError):
        terms_of({"categories": "drugs", "purpose": "interception", "legal_basis": "x", "hours": "9999"})
    with pytest.raises(ActionError):
        terms_of({"categories": "no such category", "purpose": "p", "legal_basis": "x"})


def test_scorecard_page_shows_the_figures_and_says_why_one_is_missing() -> None:
    body = scorecard_page(RONGCHANG, {Period.HOUR: "no scorecard yet", Period.DAY: scorecard(RONGCHANG)})
    assert "7/8" in body and "breaches 1" in body and "500153-K1" in body and "silent" in body
    assert "no scorecard yet" in body
    assert "--scorecards-url" in scorecard_page(RONGCHANG, "No evaluation app configured (--scorecards-url).")


def test_trace_page_is_the_timeline_escaped() -> None:
    did = "0" * 32
    other = audit_record(recipient="500000", delivery_id=did, audit_id=audit_id(did))
    timeline = build_timeline([audit_record(), other])
    body = trace_page(LUXIAN, "plate:<b>川A12345</b>", timeline)
    assert 'id="timeline"' in body and f"2 record(s) concerning {LUXIAN}" in body and "<b>川" not in body
    assert "500000: received 1" in body


def test_only_supervisors_may_trace() -> None:
    assert [r for r in Role if r.may_trace] == [Role.SUPERVISOR]
    assert "to-trace" in page(LUXIAN, "s", Role.SUPERVISOR, "c", ("other",), [])
    assert "to-trace" not in page(LUXIAN, "d", Role.DUTY_OFFICER, "c", ("other",), [])
    assert 'id="request"' not in page(LUXIAN, "v", Role.VIEWER, "c", ("other",), [])


class _Publisher:
    """Stands in for the Kafka publisher: keeps what would have been sent."""

    def __init__(self) -> None:
        self.sent: list[CooperationRequest | RequestAnswer | Acknowledgement] = []

    def request(self, message: CooperationRequest | RequestAnswer) -> None:
        self.sent.append(message)

    def ack(self, ack: Acknowledgement) -> None:
        self.sent.append(ack)


async def _posts(
    tmp_path: Path,
    role: Role,
    posts: Sequence[tuple[str, dict[str, str] | None]],
    held: Sequence[Delivery] = (),
    region: str = LUXIAN,
) -> list[Any]:
    state = ConsoleState(_settings(tmp_path, region), "e")
    for d in held:
        state.record(encode(d))
    publisher, auth = _Publisher(), Auth(state.settings)
    session = auth.sessions.start(f"{region}-{role.value}", role)
    out: list[Any] = []
    async with TestClient(TestServer(build_app(state, cast(Publisher, publisher), auth))) as client:
        client.session.cookie_jar.update_cookies({auth.session_cookie: session.token})
        for path, form in posts:
            if form is None:  # a page
                resp = await client.get(path)
            else:
                resp = await client.post(path, data={"csrf": session.csrf, **form})
            out.append((resp.status, await resp.text()))
    return [*out, publisher.sent]


def test_a_duty_officer_sends_requests_and_a_viewer_cannot(tmp_path: Path) -> None:
    (status, _), sent = asyncio.run(_posts(tmp_path, Role.DUTY_OFFICER, [("/request", REQUEST_FORM)]))
    assert status == 200 and isinstance(sent[0], CooperationRequest)
    assert sent[0].operator == f"{LUXIAN}-duty_officer"
    assert '"what": "request"' in (tmp_path / "journal.jsonl").read_text().replace('":"', '": "')
    posts = [("/request", REQUEST_FORM), ("/reply", {"status": "accepted"}), ("/agree", {})]
    *answers, sent = asyncio.run(_posts(tmp_path, Role.VIEWER, posts))
    assert [s for s, _ in answers] == [403, 403, 403] and sent == []


def test_a_reply_names_a_request_delivered_here(tmp_path: Path) -> None:
    (status, text), sent = asyncio.run(
        _posts(
            tmp_path,
            Role.DUTY_OFFICER,
            [("/reply", {"delivery_id": "x", "request_id": "y", "status": "accepted"})],
        )
    )
    assert status == 400 and "not a request" in text and sent == []


def test_only_a_delivery_that_owes_an_acknowledgement_is_acknowledged(tmp_path: Path) -> None:
    # a request, an answer or a breach notice is no delivery the control app takes an ack for: it
    # dead-letters one, while the console said "sent" and showed the card answered on every tab
    req = request(LUXIAN, RONGCHANG)
    asked, reply = (
        request_delivery(req, RONGCHANG),
        answer_delivery(answer(req, RONGCHANG, "accepted"), RONGCHANG),
    )
    posts = [("/act", {"action": "ack", "delivery_id": d.delivery_id}) for d in (asked, reply)]
    *answers, sent = asyncio.run(_posts(tmp_path, Role.DUTY_OFFICER, posts, (asked, reply), RONGCHANG))
    assert [s for s, _ in answers] == [400, 400] and sent == []
    assert all("not answered with an acknowledgement" in text for _, text in answers)
    assert (
        not (tmp_path / "journal.jsonl").exists() or "answer" not in (tmp_path / "journal.jsonl").read_text()
    )


def test_a_trace_needs_a_supervisor_and_an_audit_identity(tmp_path: Path) -> None:
    form = {"subject": "plate", "value": "川A12345"}
    (status, text), _ = asyncio.run(_posts(tmp_path, Role.DUTY_OFFICER, [("/trace", form)]))
    assert status == 403 and "Only a supervisor" in text
    (status, text), _ = asyncio.run(_posts(tmp_path, Role.SUPERVISOR, [("/trace", form)]))
    assert status == 503 and "may not read rax.audit" in text and "--audit-username" in text


def test_the_pages_of_a_supervisor_and_a_console_without_an_evaluation_app(tmp_path: Path) -> None:
    pages: list[tuple[str, dict[str, str] | None]] = [("/", None), ("/scorecard", None), ("/trace", None)]
    (s1, live), (s2, card), (s3, trace), _ = asyncio.run(_posts(tmp_path, Role.SUPERVISOR, pages))
    assert (s1, s2, s3) == (200, 200, 200)
    assert 'id="to-scorecard"' in live and 'id="to-trace"' in live and 'id="request"' in live
    assert "No evaluation app configured" in card
    assert 'id="trace-value"' in trace and "--audit-username" in trace


def test_a_trace_with_kafka_unreachable_says_so(tmp_path: Path) -> None:
    # the scan's metadata request raised KafkaException, not the RuntimeError run_trace promises: a 500
    nowhere = KafkaSettings(bootstrap_servers="127.0.0.1:9")
    state = ConsoleState(_settings(tmp_path, RONGCHANG, audit_kafka=nowhere, trace_timeout_s=1), "e")
    auth = Auth(state.settings)
    session = auth.sessions.start(f"{RONGCHANG}-0001", Role.SUPERVISOR)

    async def trace() -> tuple[int, str]:
        app = build_app(state, cast(Publisher, object()), auth)
        async with TestClient(TestServer(app)) as client:
            client.session.cookie_jar.update_cookies({auth.session_cookie: session.token})
            form = {"csrf": session.csrf, "subject": "plate", "value": "川A12345"}
            resp = await client.post("/trace", data=form)
            return resp.status, await resp.text()

    status, text = asyncio.run(trace())
    assert status == 503 and "not traced" in text
