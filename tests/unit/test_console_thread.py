"""A cooperation request's thread page: the request, each recipient's answers with their times."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from aiohttp.test_utils import TestClient, TestServer

from ops.console import ConsoleSettings, Role
from ops.console.app import build_app
from ops.console.auth import Auth
from ops.console.items import item_of
from ops.console.publisher import Publisher
from ops.console.render import item_html
from ops.console.state import ConsoleState
from ops.console.thread import thread_of, thread_page
from schemas.codec import encode
from schemas.kafka_settings import KafkaSettings
from schemas.zone import DEFAULT_REJECT_REASONS
from streams.control.config import DeadlinePolicy
from tests.support.console import answer_delivery, request_delivery
from tests.support.requests import answer, request

LUXIAN, RONGCHANG, CHONGQING = "510521", "500153", "500000"


def _state(tmp_path: Path, region: str) -> ConsoleState:
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:9")
    files = {"officers": tmp_path / "officers.json", "journal": tmp_path / "journal.jsonl"}
    return ConsoleState(ConsoleSettings(kafka=kafka, region=region, **files), "e")


def test_the_requester_sees_every_recipient_and_each_answer_in_time_order(tmp_path: Path) -> None:
    req = request(LUXIAN, RONGCHANG, CHONGQING, "510000")
    t0 = req.sent_at
    accepted = answer(req, RONGCHANG, "accepted", at=t0 + timedelta(minutes=1))
    answered = answer(req, RONGCHANG, "answered", at=t0 + timedelta(minutes=9))
    declined = answer(req, CHONGQING, "declined", at=t0 + timedelta(minutes=3))
    state = _state(tmp_path, LUXIAN)
    for a in (answered, declined, accepted):  # partitions give no order across deliveries
        state.record(encode(answer_delivery(a, LUXIAN)))
    state.record(encode(request_delivery(req, LUXIAN)))
    state.record(encode(answer_delivery(accepted, LUXIAN)))  # re-sent: shown once

    thread = thread_of(req.request_id, state.thread_items(req.request_id), LUXIAN)
    assert thread is not None and thread.requester and thread.request == req
    assert [p.region for p in thread.parts] == [RONGCHANG, CHONGQING, "510000"]
    rongchang, _, sichuan = thread.parts
    assert [a.status.value for a in rongchang.answers] == ["accepted", "answered"]
    soon, late = t0 + timedelta(minutes=10), req.respond_by + timedelta(seconds=1)
    assert [p.state(req.respond_by, soon) for p in thread.parts] == ["answered", "declined", "waiting"]
    assert sichuan.state(req.respond_by, late) == "overdue"

    body = thread_page(LUXIAN, thread, late)
    assert "k12/0042.jpg" in body and "0" * 64 in body and "no checkpoint on that road" in body
    assert (t0 + timedelta(minutes=9)).isoformat(timespec="seconds") in body and "510521-0042" in body
    assert 'class="part-overdue"' in body and '<a href="https://evidence' not in body  # a reference


def test_a_recipient_sees_only_its_own_part(tmp_path: Path) -> None:
    req = request(LUXIAN, RONGCHANG, CHONGQING)
    state = _state(tmp_path, RONGCHANG)
    state.record(encode(request_delivery(req, RONGCHANG)))
    state.record(encode(answer_delivery(answer(req, RONGCHANG, "accepted"), RONGCHANG)))  # its receipt
    thread = thread_of(req.request_id, state.thread_items(req.request_id), RONGCHANG)
    assert thread is not None and not thread.requester
    assert [(p.region, len(p.answers)) for p in thread.parts] == [(RONGCHANG, 1)]
    assert "go to the requester alone" in thread_page(RONGCHANG, thread, datetime.now(UTC))


def test_answers_without_their_request_still_make_a_thread(tmp_path: Path) -> None:
    req = request(LUXIAN, RONGCHANG)
    state = _state(tmp_path, LUXIAN)
    assert thread_of(req.request_id, state.thread_items(req.request_id), LUXIAN) is None
    state.record(encode(answer_delivery(answer(req, RONGCHANG, "declined"), LUXIAN)))
    thread = thread_of(req.request_id, state.thread_items(req.request_id), LUXIAN)
    assert thread is not None and thread.request is None and thread.requester
    assert 'id="no-request"' in thread_page(LUXIAN, thread, datetime.now(UTC))


def test_request_and_answer_cards_link_to_their_thread() -> None:
    req = request(LUXIAN, RONGCHANG)
    for d in (request_delivery(req, LUXIAN), answer_delivery(answer(req, RONGCHANG, "accepted"), LUXIAN)):
        item = item_of(encode(d), LUXIAN, DeadlinePolicy())
        assert item is not None
        assert f'href="/thread/{req.request_id}"' in item_html(item, "c", Role.VIEWER, DEFAULT_REJECT_REASONS)


async def _get(state: ConsoleState, paths: list[str]) -> list[tuple[int, str]]:
    auth = Auth(state.settings)
    session = auth.sessions.start(f"{LUXIAN}-viewer", Role.VIEWER)
    out = []
    async with TestClient(TestServer(build_app(state, cast(Publisher, object()), auth))) as client:
        client.session.cookie_jar.update_cookies({auth.session_cookie: session.token})
        for path in paths:
            resp = await client.get(path)
            out.append((resp.status, await resp.text()))
        client.session.cookie_jar.clear()
        resp = await client.get(paths[0], allow_redirects=False)
        out.append((resp.status, await resp.text()))
    return out


def test_any_officer_opens_a_thread_page_and_no_one_without_a_session(tmp_path: Path) -> None:
    req = request(LUXIAN, RONGCHANG)
    state = _state(tmp_path, LUXIAN)
    state.record(encode(request_delivery(req, LUXIAN)))
    state.record(encode(answer_delivery(answer(req, RONGCHANG, "answered"), LUXIAN)))
    pages: Any = asyncio.run(_get(state, [f"/thread/{req.request_id}", "/thread/no-such-request"]))
    (ok, body), (missing, _), (anonymous, _) = pages
    assert ok == 200 and 'id="thread-parts"' in body and "seen at 荣昌 K12" in body
    assert missing == 404 and anonymous in (302, 303, 401)
