"""Cooperation requests, an operation's agreement, the scorecard and audit traces on the console's page."""

from __future__ import annotations

import http.server
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from ops.console import Role
from schemas.audit import audit_id
from schemas.codec import encode
from schemas.delivery import delivery_id
from tests.browser.test_console import LUXIAN, RONGCHANG, _deliver, _post
from tests.support.console import (
    chromium,
    officer,
    own_operation,
    running_console,
    scorecard,
    sign_in,
    wait_css,
)
from tests.support.control import publish, running_control
from tests.support.kafka import consume_all
from tests.support.secure import SecureZone
from tests.unit.models_factories import audit_record


def _text_within(driver: Any, css: str, wanted: str, timeout: float = 60.0) -> str:
    """The text of ``css`` once it contains ``wanted`` (polls; the control app decides in between)."""
    deadline = time.monotonic() + timeout
    while True:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        text = found[0].text if found else ""
        if wanted in text:
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"{wanted!r} not in {css} within {timeout} s: {text!r}")
        time.sleep(0.1)


def _cookie(driver: Any) -> tuple[str, str]:
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    return cookie, driver.find_element(By.CSS_SELECTOR, 'meta[name="csrf"]').get_attribute("content")


def test_a_request_sent_from_one_page_is_answered_on_the_partners_and_reaches_the_requester(
    secure_zone: SecureZone, tmp_path: Any
) -> None:
    zone = secure_zone
    with (
        running_control(zone.processors, zone.cat, worker_id="console-requests", tick_s=0.2),
        running_console(zone.region(LUXIAN), zone.cat, LUXIAN, tmp_path) as luxian,
        running_console(zone.region(RONGCHANG), zone.cat, RONGCHANG, tmp_path) as rongchang,
        chromium() as b,
    ):
        sign_in(b, luxian.url, officer(LUXIAN))
        b.find_element(By.CSS_SELECTOR, "details.request summary").click()
        b.find_element(By.ID, "rq-to").send_keys(RONGCHANG)
        Select(b.find_element(By.ID, "rq-kind")).select_by_value("locate_vehicle")
        Select(b.find_element(By.ID, "rq-category")).select_by_value("stolen_vehicle")
        b.find_element(By.ID, "rq-purpose").send_keys("investigation")
        b.find_element(By.ID, "rq-basis").send_keys("立案决定书 泸公刑立字〔2026〕123号")
        b.find_element(By.ID, "rq-plate").send_keys("川E12345")
        b.find_element(By.ID, "send-request").click()
        rid = _text_within(b, "#request .msg", "sent").split()[1]
        head = f"#d-{delivery_id(rid, LUXIAN, LUXIAN)}"  # 泸县's own copy: the thread's head
        wait_css(b, head, timeout=60)
        requester_tab = b.current_window_handle

        b.switch_to.new_window("tab")
        sign_in(b, rongchang.url, officer(RONGCHANG))
        card = wait_css(b, f"#d-{delivery_id(rid, LUXIAN, RONGCHANG)}", timeout=60)
        assert (
            "川E12345" in card.text and "立案决定书" in card.text and "request: locate_vehicle" in card.text
        )
        card.find_element(By.CSS_SELECTOR, ".b-accept").click()
        assert "accepted sent" in _text_within(b, f"{card_css(rid)} form.reply-accepted .msg", "sent")
        card.find_element(By.CSS_SELECTOR, "form.reply-answered input[name=text]").send_keys("seen at K12")
        ref = "https://evidence.500153.example/k12.jpg#sha256=" + "a" * 64
        card.find_element(By.CSS_SELECTOR, "form.reply-answered input[name=attachments]").send_keys(ref)
        card.find_element(By.CSS_SELECTOR, ".b-answer").click()
        _text_within(b, f"{card_css(rid)} form.reply-answered .msg", "answered sent")
        sent = [orjson.loads(m.value() or b"{}") for m in
                consume_all(zone.admin, zone.cat.in_requests(RONGCHANG), expect=2, timeout=30)]  # fmt: skip
        assert [(a["status"], a["operator"]) for a in sent] == [
            ("accepted", officer(RONGCHANG)),
            ("answered", officer(RONGCHANG)),
        ]

        # a viewer of 荣昌 sees the request but may neither answer it nor send one
        sign_in(b, rongchang.url, officer(RONGCHANG, Role.VIEWER))
        card = wait_css(b, f"#d-{delivery_id(rid, LUXIAN, RONGCHANG)}", timeout=30)
        assert not card.find_elements(By.CSS_SELECTOR, "form") and not b.find_elements(By.ID, "request")
        cookie, csrf = _cookie(b)
        reply = {"csrf": csrf, "delivery_id": delivery_id(rid, LUXIAN, RONGCHANG), "request_id": rid,
                 "status": "declined", "reason": "a viewer's"}  # fmt: skip
        assert _post(rongchang.url + "/reply", cookie, reply)[0] == 403

        b.switch_to.window(requester_tab)  # the answers reach the requester's page as they arrive
        thread = _text_within(b, f"{head} .answers", "500153 answered")
        assert "500153 accepted" in thread
        assert "seen at K12" in _text_within(b, "#live", "seen at K12")

        b.find_element(By.CSS_SELECTOR, f"{head} a.to-thread").click()  # the thread on a page of its own
        part = wait_css(b, f"#part-{RONGCHANG}").text
        assert "answered" in part and "accepted" in part and officer(RONGCHANG) in part
        assert "evidence.500153.example/k12.jpg" in part and "a" * 64 in part
        assert "立案决定书" in wait_css(b, "#thread-request").text


def card_css(rid: str) -> str:
    return f"#d-{delivery_id(rid, LUXIAN, RONGCHANG)}"


def test_the_owner_sees_the_evidence_and_gives_a_temporary_agreement(
    secure_zone: SecureZone, tmp_path: Any
) -> None:
    zone = secure_zone
    d = own_operation(RONGCHANG, LUXIAN)
    _deliver(zone, d)
    with running_console(zone.region(RONGCHANG), zone.cat, RONGCHANG, tmp_path) as console, chromium() as b:
        sign_in(b, console.url, officer(RONGCHANG))
        card = wait_css(b, f"#d-{d.delivery_id}")
        assert "evidence 1" in card.text and "evidence 2" in card.text
        card.find_element(By.CSS_SELECTOR, "details.agree summary").click()
        Select(card.find_element(By.CSS_SELECTOR, "form.agree-op select[name=categories]")).select_by_value(
            "stolen_vehicle"
        )
        card.find_element(By.CSS_SELECTOR, "form.agree-op input[name=purpose]").send_keys("interception")
        card.find_element(By.CSS_SELECTOR, "form.agree-op input[name=legal_basis]").send_keys(
            "第二百六十四条"
        )
        card.find_element(By.CSS_SELECTOR, ".b-agree").click()
        [msg] = consume_all(zone.admin, zone.cat.in_operations(RONGCHANG), expect=1, timeout=30)
        cmd = orjson.loads(msg.value() or b"{}")
        assert d.operation is not None and cmd["operation_id"] == d.operation.operation_id
        assert (cmd["categories"], cmd["purpose"], cmd["operator"]) == (
            ["stolen_vehicle"],
            "interception",
            officer(RONGCHANG),
        )


@contextmanager
def _evaluation_app(region: str) -> Iterator[str]:
    """The evaluation app's web view as it answers (``/scorecards/<region>/<period>``): this region's day."""
    body = orjson.dumps(scorecard(region).model_dump(mode="json"))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == f"/scorecards/{region}/day"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if found else b'{"error": "no such scorecard"}')

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_regions_scorecard_is_on_its_page(secure_zone: SecureZone, tmp_path: Any) -> None:
    zone = secure_zone
    with (
        _evaluation_app(RONGCHANG) as url,
        running_console(zone.region(RONGCHANG), zone.cat, RONGCHANG, tmp_path, scorecards_url=url) as console,
        chromium() as b,
    ):
        sign_in(b, console.url, officer(RONGCHANG, Role.VIEWER))
        b.find_element(By.ID, "to-scorecard").click()
        day = wait_css(b, "#sc-day").text
        assert "7/8" in day and "breaches 1" in day and f"{RONGCHANG}-K1" in day and "silent" in day
        assert "no scorecard yet" in wait_css(b, "#sc-hour").text


def test_a_supervisor_traces_a_plate_and_the_trace_is_audited(secure_zone: SecureZone, tmp_path: Any) -> None:
    zone = secure_zone
    disclosed = audit_record(plates=["川A12345"])  # 泸县's entry, disclosed to 荣昌
    did = delivery_id("another hit", "another entry", RONGCHANG)
    between_others = audit_record(plates=["川A12345"], owner="500000", hit_region=LUXIAN, delivery_id=did,
                                  audit_id=audit_id(did))  # 重庆's entry to 荣昌, read in 泸县  # fmt: skip
    publish(zone.processors, zone.cat.audit,
            [(r.delivery_id.encode(), encode(r)) for r in (disclosed, between_others)])  # fmt: skip
    with (
        running_console(
            zone.region(LUXIAN), zone.cat, LUXIAN, tmp_path, audit_kafka=zone.operator
        ) as console,
        running_console(zone.region(RONGCHANG), zone.cat, RONGCHANG, tmp_path) as without,
        chromium() as b,
    ):
        sign_in(b, console.url, officer(LUXIAN))  # a duty officer may not trace
        assert not b.find_elements(By.ID, "to-trace")
        b.get(console.url + "/trace")
        assert "Only a supervisor" in wait_css(b, "#trace-note").text
        cookie, csrf = _cookie(b)
        form = {"csrf": csrf, "subject": "plate", "value": "川A12345"}
        assert _post_status(console.url + "/trace", cookie, form) == 403

        sign_in(b, console.url, officer(LUXIAN, Role.SUPERVISOR))
        b.find_element(By.ID, "to-trace").click()
        b.find_element(By.ID, "trace-value").send_keys("川A12345")
        b.find_element(By.ID, "run-trace").click()
        timeline = wait_css(b, "#timeline", timeout=60).text
        assert "disclosed" in timeline and disclosed.recipient in timeline
        # what 荣昌 received of 重庆's is not 泸县's business, though the plate was read in 泸县
        assert did[:8] not in timeline and "500000" not in timeline and "500000" not in b.page_source
        assert f"1 record(s) concerning {LUXIAN}" in b.find_element(By.ID, "trace-count").text
        records = [orjson.loads(m.value() or b"{}") for m in
                   consume_all(zone.admin, zone.cat.audit, expect=3, timeout=30)]  # fmt: skip
        [traced] = [r for r in records if r.get("act") == "traced"]
        assert (traced["actor"], traced["recipient"], traced["plates"]) == (
            officer(LUXIAN, Role.SUPERVISOR),
            LUXIAN,
            ["川A12345"],
        )

        # a console started without an audit identity says why it cannot trace (its region's may not)
        sign_in(b, without.url, officer(RONGCHANG, Role.SUPERVISOR))
        b.get(without.url + "/trace")
        assert "may not read rax.audit" in wait_css(b, "#trace-note").text


def _post_status(url: str, cookie: str, form: dict[str, str]) -> int:
    req = urllib.request.Request(url, urllib.parse.urlencode(form).encode(), headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
