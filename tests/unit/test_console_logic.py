"""The console's pure parts: passwords, accounts, sessions, CSRF, login throttling, items, cards, history."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ops.console.actions import ActionError, alert_of, answer_of
from ops.console.history import History
from ops.console.items import Item, item_of, plate_marks
from ops.console.officers import OfficerError, OfficerFile, Role
from ops.console.passwords import hash_password, verify_password
from ops.console.ratelimit import LoginLimiter
from ops.console.render import item_html, login_page
from ops.console.sessions import Sessions, same_token
from schemas.acks import BreachStage, Outcome
from schemas.codec import encode
from schemas.zone import DEFAULT_REJECT_REASONS
from streams.control.config import DeadlinePolicy
from tests.unit.models_factories import alert_delivery, match_delivery

REASONS = DEFAULT_REJECT_REASONS
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_password_hash_is_argon2id_salted_and_verifies_only_the_password() -> None:
    h1, h2 = hash_password("correct horse"), hash_password("correct horse")
    assert h1.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and h1 != h2  # a fresh salt each time
    assert verify_password("correct horse", h1)
    assert not verify_password("correct horsf", h1)
    assert not verify_password("correct horse", "not a hash")


def test_officer_file_is_private_and_authenticates(tmp_path: Path) -> None:
    f = OfficerFile(tmp_path / "officers.json")
    f.add("510521-0815", Role.DUTY_OFFICER, "a long password")
    assert (tmp_path / "officers.json").stat().st_mode & 0o777 == 0o600
    assert "a long password" not in (tmp_path / "officers.json").read_text()
    officer = f.authenticate("510521-0815", "a long password")
    assert officer is not None and officer.role == Role.DUTY_OFFICER
    assert f.authenticate("510521-0815", "wrong password") is None
    assert f.authenticate("nobody", "a long password") is None
    with pytest.raises(OfficerError, match="at least"):
        f.add("510521-0816", Role.VIEWER, "short")
    with pytest.raises(OfficerError, match="name"):
        f.add("<script>", Role.VIEWER, "a long password")


def test_an_officer_name_ending_in_a_newline_is_refused(tmp_path: Path) -> None:
    # `$` matches before a final newline: "x1\n" went into the file, the list and every answer's operator
    f = OfficerFile(tmp_path / "officers.json")
    for name in ("510521-0815\n", "x1\n"):
        with pytest.raises(OfficerError, match="name"):
            f.add(name, Role.VIEWER, "a long password")
    assert f.load() == {}


def test_roles() -> None:
    assert not Role.VIEWER.may_answer and Role.DUTY_OFFICER.may_answer
    assert Role.SUPERVISOR.may_cancel and not Role.DUTY_OFFICER.may_cancel


def test_sessions_expire_when_idle_and_at_their_maximum() -> None:
    clock = Clock()
    sessions = Sessions(idle_s=60, max_s=150, clock=clock)
    s = sessions.start("o1", Role.VIEWER)
    clock.t += 59
    assert sessions.get(s.token) is s  # the idle clock restarts
    clock.t += 59
    assert sessions.get(s.token) is s
    clock.t += 59  # 177 s after sign-in: over the maximum although never idle for 60 s
    assert sessions.get(s.token) is None
    s2 = sessions.start("o1", Role.VIEWER)
    clock.t += 40
    assert sessions.get(s2.token, touch=False) is s2  # looking (an open stream) does not keep it alive
    clock.t += 21
    assert sessions.get(s2.token) is None
    assert sessions.get(None) is None and sessions.get("forged") is None


def test_csrf_tokens_compare_in_constant_time_and_never_match_empty() -> None:
    s = Sessions(60, 60).start("o1", Role.DUTY_OFFICER)
    assert s.csrf != s.token and len(s.csrf) >= 32
    assert same_token(s.csrf, s.csrf)
    assert not same_token("", "") and not same_token(None, s.csrf) and not same_token(s.csrf, s.csrf + "x")


def test_login_limiter_counts_per_address_and_per_name() -> None:
    clock = Clock()
    lim = LoginLimiter(failures=3, window_s=60, clock=clock)
    for _ in range(3):
        assert lim.retry_after("10.0.0.1", "o1") == 0
        lim.failed("10.0.0.1", "o1")
    assert lim.retry_after("10.0.0.1", "o1") == pytest.approx(60)
    assert lim.retry_after("10.0.0.1", "o2") > 0  # the address is throttled for every name
    assert lim.retry_after("10.0.0.2", "o1") > 0  # the name is throttled from every address
    assert lim.retry_after("10.0.0.2", "o2") == 0
    clock.t += 61
    assert lim.retry_after("10.0.0.1", "o1") == 0


def test_plate_marks_are_the_differing_characters() -> None:
    assert plate_marks("川A1234B", "川A12348") == (6,)
    assert plate_marks("川A12345", "川A12345") == ()
    assert plate_marks("川A12345", "川A1?3?5") == (3, 5)


def test_match_item_says_how_where_when_and_what_was_redacted() -> None:
    d = match_delivery(recipient="500153")
    item = item_of(encode(d), "500153", DeadlinePolicy())
    assert item is not None and d.match is not None
    assert item.kind == "match" and item.how == d.match.kind.value and item.plate == d.match.plate
    assert set(item.redacted) == {"image_ref", "speed_kmh"}
    seconds = DeadlinePolicy().seconds(BreachStage.ACKNOWLEDGE, d.match.action.value, d.match.priority.value)
    assert item.due_ms == int(d.produced_at.timestamp() * 1000) + int(seconds * 1000)
    assert item_of(encode(d), "510521", DeadlinePolicy()) is None  # never another region's


def test_unknown_kind_is_shown_generically_and_garbage_not_at_all() -> None:
    raw = b'{"delivery_id": "ab12", "kind": "request", "owner": "510521", "request": {"ask": "<b>x</b>"}}'
    item = item_of(raw, "500153", DeadlinePolicy())
    assert item is not None and item.kind == "request" and item.due_ms is None
    assert ("request", '{"ask":"<b>x</b>"}') in item.fields
    assert "&lt;b&gt;" in item_html(item, "c", Role.DUTY_OFFICER, REASONS)  # escaped on the page
    assert item_of(b"not json", "500153", DeadlinePolicy()) is None
    assert item_of(b'{"kind": "x"}', "500153", DeadlinePolicy()) is None
    # a kind (or version) this console does not know is still another region's if it names it
    other = b'{"delivery_id": "ab13", "kind": "newer", "recipient": "510521", "owner": "510000"}'
    assert item_of(other, "500153", DeadlinePolicy()) is None


def test_card_marks_misread_characters_and_offers_answers_by_role() -> None:
    item = Item(
        "d1", "match", "510521", 0, 5000, "川A1234B", "intercept", "urgent", "misread", "川A1234B", (6,)
    )
    html = item_html(item, "tok<", Role.DUTY_OFFICER, REASONS)
    assert "川A1234<mark>B</mark>" in html and 'data-due="5000"' in html
    assert 'value="tok&lt;"' in html and html.count('name="csrf"') == 4
    assert all(f">{r}</option>" in html for r in REASONS)
    assert "<form" not in item_html(item, "tok", Role.VIEWER, REASONS)


def test_login_page_escapes_the_message() -> None:
    assert "<script>" not in login_page("500153", "t", "<script>alert(1)</script>")


def test_history_numbers_each_delivery_once_and_pages_newest_first() -> None:
    h = History(limit=10_000)
    for n in range(10_050):
        assert h.add(Item(f"d{n}", "match", "x", n, None, "t"))
    assert not h.add(Item("d10049", "match", "x", 0, None, "t")) and h.duplicates == 1
    assert len(h) == 10_000 and h.get("d0") is None  # the oldest forgotten beyond the limit
    page, pages = h.page(1, 50)
    assert pages == 200 and [i.delivery_id for i in page[:2]] == ["d10049", "d10048"]
    assert h.page(500, 50)[0][-1].delivery_id == "d50"  # past the end: the last page
    assert [i.seq for i in h.after(10_045, 100)] == [10_046, 10_047, 10_048, 10_049, 10_050]
    assert len(h.after(0, 200)) == 200


def test_answers_map_to_outcomes_and_reasons_come_from_the_zone_list() -> None:
    base = {"delivery_id": "0" * 32}
    ack = answer_of({**base, "action": "ack"}, "500153", "500153-0815", REASONS, NOW)
    assert ack.outcome == Outcome.RECEIVED and ack.operator == "500153-0815" and ack.region == "500153"
    rej = answer_of(
        {**base, "action": "reject", "reason": "misread", "note": " x "}, "500153", "o", REASONS, NOW
    )
    assert rej.outcome == Outcome.FALSE_POSITIVE and rej.reason == "misread" and rej.note == "x"
    assert answer_of({**base, "action": "confirm"}, "500153", "o", REASONS, NOW).outcome == Outcome.VERIFIED
    out = answer_of({**base, "action": "outcome", "outcome": "intercepted"}, "500153", "o", REASONS, NOW)
    assert out.outcome == Outcome.INTERCEPTED
    with pytest.raises(ActionError, match="reason"):
        answer_of({**base, "action": "reject", "reason": "made up"}, "500153", "o", REASONS, NOW)
    with pytest.raises(ActionError):
        answer_of({**base, "action": "outcome", "outcome": "received"}, "500153", "o", REASONS, NOW)


def test_a_refused_note_names_the_character_and_shows_nothing_invisible() -> None:
    form = {"delivery_id": "0" * 32, "action": "ack", "note": "checked\u202egpj.exe"}
    with pytest.raises(ActionError) as caught:
        answer_of(form, "500153", "500153-0815", REASONS, NOW)
    message = str(caught.value)
    assert "note: holds U+202E (RIGHT-TO-LEFT OVERRIDE) at position 7" in message
    assert message.isprintable() and "\U000e0001" not in message  # not the pattern's tag characters


def test_alert_update_and_cancel_name_an_earlier_alert_of_this_centre() -> None:
    form = {
        "msg_type": "Alert",
        "headline": "被盗车辆",
        "plates": "川A12345， 渝B67890",
        "category": "stolen_vehicle",
    }
    a = alert_of(form, "510521", "zhihui@510521.rax", "510521-0815", {}, NOW)
    assert a.sender_region == "510521" and a.plates == ("川A12345", "渝B67890") and a.source == "510521-0815"
    with pytest.raises(ActionError, match="earlier"):
        alert_of({**form, "msg_type": "Cancel"}, "510521", "s@x", "o", {}, NOW)
    c = alert_of({**form, "msg_type": "Cancel", "references": a.identifier}, "510521", "zhihui@510521.rax",
                 "o", {a.identifier: a.as_reference()}, NOW)  # fmt: skip
    assert c.msg_type.value == "Cancel" and c.references[0].identifier == a.identifier


def test_an_alert_or_update_without_a_headline_is_refused_a_cancel_needs_none() -> None:
    form = {"msg_type": "Alert", "headline": "  ", "plates": "川A12345", "category": "stolen_vehicle"}
    with pytest.raises(ActionError, match="headline"):
        alert_of(form, "510521", "zhihui@510521.rax", "510521-0815", {}, NOW)
    a = alert_of({**form, "headline": "被盗车辆"}, "510521", "zhihui@510521.rax", "o", {}, NOW)
    earlier = {a.identifier: a.as_reference()}
    with pytest.raises(ActionError, match="headline"):
        alert_of(
            {**form, "msg_type": "Update", "references": a.identifier}, "510521", "s@x", "o", earlier, NOW
        )
    c = alert_of(
        {**form, "msg_type": "Cancel", "references": a.identifier}, "510521", "s@x", "o", earlier, NOW
    )
    assert c.msg_type.value == "Cancel"


def test_alert_delivery_item() -> None:
    d = alert_delivery("500153")
    item = item_of(encode(d), "500153", DeadlinePolicy())
    assert item is not None and item.kind == "alert" and ("identifier", d.alert.identifier) in item.fields  # type: ignore[union-attr]


def test_password_checks_from_several_threads_all_finish() -> None:
    # the console verifies in worker threads; cryptography's Argon2id must not run twice at once
    h = hash_password("correct horse", memory_kib=8 * 1024)
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(verify_password("correct horse", h))) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [True, True, True]


def test_a_request_card_shows_its_fields_escaped() -> None:
    from tests.support.console import request_delivery
    from tests.support.requests import request

    req = request("510521", "500153", details="<i>white SUV</i>")
    item = item_of(encode(request_delivery(req, "500153")), "500153", DeadlinePolicy())
    assert item is not None and item.kind == "request" and "川E12345" in item.title
    assert ("details", "<i>white SUV</i>") in item.fields
    assert "&lt;i&gt;white SUV" in item_html(item, "c", Role.DUTY_OFFICER, REASONS)


def test_officers_cli_adds_lists_and_removes(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ops.cli import main

    f = ["--region", "500153", "--file", str(tmp_path / "o.json")]
    run = CliRunner().invoke
    added = run(main, ["centre", "officers", "add", "500153-0815", "--role", "supervisor", *f],
                env={"RAX_OFFICER_PASSWORD": "a long password"})  # fmt: skip
    assert added.exit_code == 0, added.output
    assert run(main, ["centre", "officers", "list", *f]).output == "500153-0815\tsupervisor\n"
    short = run(main, ["centre", "officers", "add", "x1", *f], env={"RAX_OFFICER_PASSWORD": "short"})
    assert short.exit_code == 1 and "at least 10" in short.output
    assert run(main, ["centre", "officers", "remove", "500153-0815", *f]).exit_code == 0
    assert run(main, ["centre", "officers", "list", *f]).output == ""
    nobody = run(main, ["centre", "console", "--region", "500153", "--bootstrap", "127.0.0.1:1", *f[2:]])
    assert nobody.exit_code == 1 and "no officers" in nobody.output


def test_only_the_owners_operations_can_be_closed_and_with_a_known_outcome() -> None:
    from ops.console.actions import close_of
    from tests.support.console import own_operation

    d = own_operation("500153", "510521")
    item = item_of(encode(d), "500153", DeadlinePolicy())
    assert item is not None and d.operation is not None and item.operation_id == d.operation.operation_id
    assert "close-op" in item_html(item, "c", Role.DUTY_OFFICER, REASONS)
    assert "close-op" not in item_html(item, "c", Role.VIEWER, REASONS)
    form = {"operation_id": d.operation.operation_id, "outcome": "confirmed"}
    cmd = close_of(form, "500153", "500153-0815", NOW)
    assert cmd.operator == "500153-0815" and cmd.outcome.value == "confirmed"
    with pytest.raises(ActionError, match="outcome"):
        close_of({**form, "outcome": "done"}, "500153", "o", NOW)


def test_login_limiter_counts_the_checks_still_running() -> None:
    lim = LoginLimiter(failures=2, window_s=60, clock=Clock())
    lim.begin("10.0.0.1", "o1")
    lim.begin("10.0.0.2", "o1")
    assert lim.retry_after("10.0.0.3", "o1") > 0  # two guesses at o1 in flight: a third waits
    lim.end("10.0.0.1", "o1")
    assert lim.retry_after("10.0.0.3", "o1") == 0


def test_concurrent_wrong_passwords_are_throttled_after_the_allowance(tmp_path: Path) -> None:
    # the limiter was asked before the (slow, one at a time) password check and told of the failure
    # after it, so a burst of sign-ins all passed the check: 12 guesses, no 429
    import asyncio
    import re
    from typing import cast

    from aiohttp.test_utils import TestClient, TestServer

    from ops.console import ConsoleSettings
    from ops.console.app import build_app
    from ops.console.auth import Auth
    from ops.console.publisher import Publisher
    from ops.console.state import ConsoleState
    from schemas.kafka_settings import KafkaSettings

    settings = ConsoleSettings(kafka=KafkaSettings(bootstrap_servers="127.0.0.1:9"), region="510521",
                               officers=tmp_path / "o.json", journal=tmp_path / "j.jsonl")  # fmt: skip
    auth = Auth(settings)
    auth.officers.add("510521-0815", Role.DUTY_OFFICER, "a long password")

    async def burst() -> list[int]:
        app = build_app(ConsoleState(settings, "e"), cast(Publisher, object()), auth)
        async with TestClient(TestServer(app)) as client:
            form = await (await client.get("/login")).text()
            csrf = re.findall(r'name="csrf" value="([^"]+)"', form)[0]
            data = {"csrf": csrf, "officer": "510521-0815", "password": "not the password"}
            posts = [client.post("/login", data=data, allow_redirects=False) for _ in range(12)]
            return sorted(r.status for r in await asyncio.gather(*posts))

    assert asyncio.run(burst()) == [401] * 5 + [429] * 7


def test_an_officers_file_others_may_read_is_refused_with_what_to_do(tmp_path: Path) -> None:
    officers = OfficerFile(tmp_path / "o.json")
    officers.add("510521-0815", Role.DUTY_OFFICER, "a long password")
    (tmp_path / "o.json").chmod(0o644)  # copied by hand, say: the hashes readable by every account
    with pytest.raises(OfficerError, match=r"open to others .*chmod 600"):
        officers.authenticate("510521-0815", "a long password")
    (tmp_path / "o.json").chmod(0o600)
    assert officers.authenticate("510521-0815", "a long password") is not None


@pytest.mark.parametrize("content", ["{not json", "[]", '{"officers": {"x1": {"role": "god", "hash": "h"}}}'])
def test_an_unreadable_officers_file_is_said_not_a_traceback(tmp_path: Path, content: str) -> None:
    # a corrupt or hand-edited file was a traceback in every `officers` command and a 500 at sign-in
    import asyncio
    import re
    from typing import cast

    from aiohttp.test_utils import TestClient, TestServer
    from click.testing import CliRunner

    from ops.cli import main
    from ops.console import ConsoleSettings
    from ops.console.app import build_app
    from ops.console.auth import Auth
    from ops.console.publisher import Publisher
    from ops.console.state import ConsoleState
    from schemas.kafka_settings import KafkaSettings

    (tmp_path / "o.json").write_text(content)
    (tmp_path / "o.json").chmod(0o600)  # its content is what is wrong, not its mode (below)
    f = ["--region", "510521", "--file", str(tmp_path / "o.json")]
    for args in (["list", *f], ["remove", "x1", *f], ["add", "x2", *f]):
        out = CliRunner().invoke(main, ["centre", "officers", *args], env={"RAX_OFFICER_PASSWORD": "a" * 12})
        assert out.exit_code == 1 and "cannot be read" in out.output and out.exception is not None
        assert isinstance(out.exception, SystemExit)
    assert (tmp_path / "o.json").read_text() == content  # left as it was, for the administrator
    settings = ConsoleSettings(kafka=KafkaSettings(bootstrap_servers="127.0.0.1:9"), region="510521",
                               officers=tmp_path / "o.json", journal=tmp_path / "j.jsonl")  # fmt: skip

    async def sign_in() -> tuple[int, str]:
        auth = Auth(settings)
        app = build_app(ConsoleState(settings, "e"), cast(Publisher, object()), auth)
        async with TestClient(TestServer(app)) as client:
            csrf = re.findall(r'name="csrf" value="([^"]+)"', await (await client.get("/login")).text())[0]
            data = {"csrf": csrf, "officer": "x1", "password": "a long password"}
            resp = await client.post("/login", data=data, allow_redirects=False)
            assert not auth.limiter._running  # the check in flight was ended
            return resp.status, await resp.text()

    status, text = asyncio.run(sign_in())
    assert status == 503 and "officers file cannot be read" in text


@pytest.mark.parametrize("option", [["--session-idle", "0"], ["--session-idle", "-5"], ["--port", "70000"]])
def test_console_options_out_of_range_are_usage_errors(tmp_path: Path, option: list[str]) -> None:
    # they reached ConsoleSettings and ended in a pydantic traceback
    from click.testing import CliRunner

    from ops.cli import main

    OfficerFile(tmp_path / "o.json").add("510521-0815", Role.VIEWER, "a long password")
    args = ["centre", "console", "--region", "510521", "--bootstrap", "127.0.0.1:1"]
    out = CliRunner().invoke(main, [*args, "--file", str(tmp_path / "o.json"), *option])
    assert out.exit_code == 2 and "Invalid value" in out.output, out.output


@pytest.mark.parametrize("seq", ["²", "9" * 5000])
def test_a_last_event_id_that_is_no_number_resends_the_newest(tmp_path: Path, seq: str) -> None:
    # str.isdigit() holds for "²" and int() refuses it (and 5000 digits): the event stream's handler
    # raised after its headers were sent, a traceback in the log and the tab's stream cut
    from ops.console import ConsoleSettings
    from ops.console.state import ConsoleState
    from schemas.kafka_settings import KafkaSettings

    settings = ConsoleSettings(kafka=KafkaSettings(bootstrap_servers="127.0.0.1:9"), region="500153",
                               officers=tmp_path / "o.json", journal=tmp_path / "j.jsonl")  # fmt: skip
    state = ConsoleState(settings, "e")
    state.record(encode(match_delivery()))
    assert len(state.backlog(f"e-{seq}")) == 1 and len(state.backlog("e-1")) == 0


def test_a_busy_event_stream_ends_with_its_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the session was checked only when no event came for a heartbeat: on a region with a delivery every
    # few seconds, a signed-out (or idle) tab's stream went on showing new deliveries
    import asyncio
    from typing import cast

    from aiohttp.test_utils import TestClient, TestServer

    from ops.console import ConsoleSettings
    from ops.console import routes as console_routes
    from ops.console.app import build_app
    from ops.console.auth import Auth
    from ops.console.publisher import Publisher
    from ops.console.state import ConsoleState
    from schemas.kafka_settings import KafkaSettings

    monkeypatch.setattr(console_routes, "_HEARTBEAT_S", 0.3)
    settings = ConsoleSettings(kafka=KafkaSettings(bootstrap_servers="127.0.0.1:9"), region="500153",
                               officers=tmp_path / "o.json", journal=tmp_path / "j.jsonl")  # fmt: skip
    state, auth = ConsoleState(settings, "e"), Auth(settings)
    session = auth.sessions.start("500153-0815", Role.VIEWER)

    async def feed() -> None:
        for n in range(1, 60):
            state.record(b'{"delivery_id": "d%d", "recipient": "500153", "kind": "future"}' % n)
            if n == 5:
                auth.sessions.end(session.token)  # signed out from another tab
            await asyncio.sleep(0.05)

    async def stream() -> bytes:
        app = build_app(state, cast(Publisher, object()), auth)
        async with TestClient(TestServer(app)) as client:
            client.session.cookie_jar.update_cookies({auth.session_cookie: session.token})
            resp = await client.get("/events")
            feeding = asyncio.create_task(feed())
            body = await resp.content.read()  # the feed goes on for 3 s, the session ends after 0.25
            await feeding
            return body

    body = asyncio.run(stream())
    assert body.count(b"event: item") <= 6  # at most one delivery after the sign-out
