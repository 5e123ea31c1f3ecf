"""The console in a real browser, on the secured broker, each console as its region's own identity."""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import orjson
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from ops.console import Role
from schemas.codec import encode
from schemas.delivery import Delivery
from tests.support.console import (
    chromium,
    fresh_match,
    officer,
    own_operation,
    running_console,
    sign_in,
    wait_css,
)
from tests.support.control import publish, running_control
from tests.support.hotpath import producer
from tests.support.kafka import consume_all
from tests.support.secure import SecureZone

LUXIAN, RONGCHANG = "510521", "500153"


def _deliver(zone: SecureZone, d: Delivery) -> float:
    """Writes ``d`` to its recipient's out topic as the processors do; the time Kafka had it."""
    publish(zone.processors, zone.cat.out(d.recipient), [(d.delivery_id.encode(), encode(d))])
    return time.monotonic()


def _acks(zone: SecureZone, region: str, expect: int) -> list[dict[str, Any]]:
    msgs = consume_all(zone.admin, zone.cat.in_acks(region), expect=expect, timeout=30)
    return [orjson.loads(m.value() or b"{}") for m in msgs]


def test_officer_sees_a_delivery_within_2_s_and_answers_it(secure_zone: SecureZone, tmp_path: Any) -> None:
    zone = secure_zone
    d = fresh_match(RONGCHANG, kind="misread", plate="川A1234B", matched_plate="川A12348", score=0.9, edits=1)
    with running_console(zone.region(RONGCHANG), zone.cat, RONGCHANG, tmp_path) as console, chromium() as b:
        sign_in(b, console.url, officer(RONGCHANG))
        assert b.find_element(By.ID, "who").text.startswith(officer(RONGCHANG))
        wait_css(b, 'body[data-feed="live"]', timeout=10.0)  # the page's stream is open and caught up
        committed = _deliver(zone, d)
        card = wait_css(b, f"#d-{d.delivery_id}", timeout=2.0)
        assert time.monotonic() - committed <= 2.0
        text = card.text
        assert "川A1234B" in text and card.find_element(By.CSS_SELECTOR, ".plate mark").text == "B"
        assert "ack due in" in card.find_element(By.CSS_SELECTOR, ".clock").text
        assert "image_ref" in text  # what the agreement redacted is said

        card.find_element(By.CSS_SELECTOR, ".b-ack").click()
        [ack] = _acks(zone, RONGCHANG, 1)
        assert ack["delivery_id"] == d.delivery_id and ack["outcome"] == "received"
        assert ack["operator"] == officer(RONGCHANG) and ack["region"] == RONGCHANG
        wait_css(b, f"#d-{d.delivery_id}.status-answered")

        Select(card.find_element(By.CSS_SELECTOR, "form.reject select")).select_by_visible_text("misread")
        card.find_element(By.CSS_SELECTOR, "form.reject input[name=note]").send_keys("B read as 8")
        card.find_element(By.CSS_SELECTOR, ".b-reject").click()
        rejected = _acks(zone, RONGCHANG, 2)[1]
        assert (rejected["outcome"], rejected["reason"], rejected["note"]) == (
            "false_positive",
            "misread",
            "B read as 8",
        )
        journal = (tmp_path / f"journal-{RONGCHANG}.jsonl").read_text()
        assert journal.count(officer(RONGCHANG)) == 2  # the console's own audit of who did what


def test_a_reconnecting_page_neither_loses_nor_repeats_an_item(
    secure_zone: SecureZone, tmp_path: Any
) -> None:
    zone = secure_zone
    first, second = fresh_match(RONGCHANG), fresh_match(RONGCHANG)
    with running_console(zone.region(RONGCHANG), zone.cat, RONGCHANG, tmp_path) as console, chromium() as b:
        sign_in(b, console.url, officer(RONGCHANG))
        _deliver(zone, first)
        _deliver(zone, first)  # a replaying processor wrote it twice
        wait_css(b, f"#d-{first.delivery_id}")
        assert console.loop is not None
        console.loop.call_soon_threadsafe(console.state.close)  # every event stream cut, as by the network
        _deliver(zone, second)
        wait_css(b, f"#d-{second.delivery_id}", timeout=10)
        ids = [e.get_attribute("data-id") for e in b.find_elements(By.CSS_SELECTOR, "#live .item")]
        assert sorted(ids) == sorted([first.delivery_id, second.delivery_id])


def test_an_alert_sent_from_one_console_reaches_the_partners_page_and_nothing_else_crosses(
    secure_zone: SecureZone, tmp_path: Any
) -> None:
    zone = secure_zone
    own = fresh_match(LUXIAN)  # delivered to 泸县 only: 荣昌's console must never show it
    with (
        running_control(zone.processors, zone.cat, worker_id="console", tick_s=0.2),
        running_console(zone.region(LUXIAN), zone.cat, LUXIAN, tmp_path) as luxian,
        running_console(zone.region(RONGCHANG), zone.cat, RONGCHANG, tmp_path) as rongchang,
        chromium() as b,
    ):
        _deliver(zone, own)
        sign_in(b, luxian.url, officer(LUXIAN))
        wait_css(b, f"#d-{own.delivery_id}")
        b.find_element(By.CSS_SELECTOR, "details.compose summary").click()
        Select(b.find_element(By.ID, "category")).select_by_value("stolen_vehicle")
        b.find_element(By.ID, "headline").send_keys("被盗车辆 川A12345")
        b.find_element(By.ID, "plates").send_keys("川A12345")
        b.find_element(By.ID, "send-alert").click()
        sent = wait_css(b, "#compose .msg").text
        deadline = time.monotonic() + 10
        while not sent.startswith("sent ") and time.monotonic() < deadline:
            time.sleep(0.1)
            sent = b.find_element(By.CSS_SELECTOR, "#compose .msg").text
        identifier = sent.removeprefix("sent ")
        assert identifier.startswith(f"RAX-{LUXIAN}-"), sent

        b.switch_to.new_window("tab")
        sign_in(b, rongchang.url, officer(RONGCHANG))
        card = wait_css(b, "#live .item", timeout=60)
        deadline = time.monotonic() + 60
        while identifier not in b.find_element(By.ID, "live").text and time.monotonic() < deadline:
            time.sleep(0.2)
        assert identifier in b.find_element(By.ID, "live").text, card.text
        assert "被盗车辆 川A12345" in b.find_element(By.ID, "live").text
        # 荣昌 has caught up with everything its topic holds, and 泸县's own match is not among it
        assert rongchang.state.feed_status["state"] == "live"
        assert not b.find_elements(By.CSS_SELECTOR, f"#d-{own.delivery_id}")
        assert rongchang.state.history.get(own.delivery_id) is None


def _post(url: str, cookie: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, urllib.parse.urlencode(form).encode(), headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read() or b"{}")


def test_csrf_roles_and_session_expiry_are_enforced(secure_zone: SecureZone, tmp_path: Any) -> None:
    zone = secure_zone
    d = fresh_match(RONGCHANG)
    _deliver(zone, d)
    with (
        running_console(zone.region(RONGCHANG), zone.cat, RONGCHANG, tmp_path, session_idle_s=3) as console,
        chromium() as b,
    ):
        sign_in(b, console.url, officer(RONGCHANG))
        wait_css(b, f"#d-{d.delivery_id}")
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in b.get_cookies())
        csrf = b.find_element(By.CSS_SELECTOR, 'meta[name="csrf"]').get_attribute("content")
        act = {"delivery_id": d.delivery_id, "action": "ack"}
        assert _post(console.url + "/act", cookie, act)[0] == 403  # no token: a forged cross-site post
        assert _post(console.url + "/act", cookie, {**act, "csrf": csrf + "x"})[0] == 403
        assert _post(console.url + "/act", "", {**act, "csrf": csrf})[0] == 401  # no session
        status, body = _post(console.url + "/act", cookie, {**act, "csrf": csrf})
        assert status == 200 and body["outcome"] == "received"

        time.sleep(3.5)  # idle past the session's limit
        assert _post(console.url + "/act", cookie, {**act, "csrf": csrf})[0] == 401
        b.get(console.url + "/")
        wait_css(b, "#sign-in")  # sent back to the sign-in page

        sign_in(b, console.url, officer(RONGCHANG, Role.VIEWER))
        card = wait_css(b, f"#d-{d.delivery_id}")
        assert not card.find_elements(By.CSS_SELECTOR, "form")  # a viewer gets no answer buttons
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in b.get_cookies())
        csrf = b.find_element(By.CSS_SELECTOR, 'meta[name="csrf"]').get_attribute("content")
        assert _post(console.url + "/act", cookie, {**act, "csrf": csrf})[0] == 403
    assert len(_acks(zone, RONGCHANG, 1)) == 1  # only the one allowed answer reached Kafka


def test_https_with_a_certificate_of_the_zones_ca(secure_zone: SecureZone, tmp_path: Any) -> None:
    zone = secure_zone
    tls = zone.cluster.run_dir / "tls"  # the local zone's CA and a certificate it issued for 127.0.0.1
    d = fresh_match(RONGCHANG)
    _deliver(zone, d)
    with running_console(
        zone.region(RONGCHANG), zone.cat, RONGCHANG, tmp_path, tls_cert=tls / "broker.pem"
    ) as console:
        assert console.url.startswith("https://")
        trust = ssl.create_default_context(cafile=str(tls / "ca.pem"))
        with urllib.request.urlopen(console.url + "/login", context=trust, timeout=10) as resp:
            assert resp.status == 200
            assert all("Secure" in c and "HttpOnly" in c for c in resp.headers.get_all("Set-Cookie"))
        with pytest.raises(urllib.error.URLError):  # a client that does not trust the zone's CA
            urllib.request.urlopen(console.url + "/login", context=ssl.create_default_context(), timeout=10)
        with chromium() as b:
            sign_in(b, console.url, officer(RONGCHANG))
            wait_css(b, f"#d-{d.delivery_id}")


def test_ten_thousand_deliveries_are_paged_not_put_in_the_page(
    secure_zone: SecureZone, tmp_path: Any
) -> None:
    zone = secure_zone
    many = [fresh_match(RONGCHANG) for _ in range(10_000)]
    p = producer(zone.processors)
    for d in many:
        p.produce(zone.cat.out(RONGCHANG), encode(d), d.delivery_id.encode())
        p.poll(0)
    assert p.flush(60) == 0
    with running_console(zone.region(RONGCHANG), zone.cat, RONGCHANG, tmp_path) as console, chromium() as b:
        deadline = time.monotonic() + 60
        while len(console.state.history) < 10_000:
            assert time.monotonic() < deadline, len(console.state.history)
            time.sleep(0.2)
        sign_in(b, console.url, officer(RONGCHANG))
        # the newest as the console read them (partitions interleave: not necessarily the last written)
        newest = console.state.history.page(1, 1)[0][0].delivery_id
        wait_css(b, f"#d-{newest}")
        assert len(b.find_elements(By.CSS_SELECTOR, "#live .item")) == 200
        b.get(console.url + "/history?page=200")
        assert "page 200 of 200 (10000 deliveries)" in b.find_element(By.TAG_NAME, "nav").text
        assert len(b.find_elements(By.CSS_SELECTOR, "#history .item")) == 50
        b.find_element(By.ID, "newer").click()
        assert "page 199 of 200" in wait_css(b, "nav").text


def test_the_owner_closes_its_operation_from_the_page(secure_zone: SecureZone, tmp_path: Any) -> None:
    zone = secure_zone
    d = own_operation(RONGCHANG, LUXIAN)
    _deliver(zone, d)
    with running_console(zone.region(RONGCHANG), zone.cat, RONGCHANG, tmp_path) as console, chromium() as b:
        sign_in(b, console.url, officer(RONGCHANG))
        card = wait_css(b, f"#d-{d.delivery_id}")
        Select(card.find_element(By.CSS_SELECTOR, "form.close-op select")).select_by_value("false_alarm")
        card.find_element(By.CSS_SELECTOR, "form.close-op input[name=note]").send_keys("two honest vehicles")
        card.find_element(By.CSS_SELECTOR, ".b-close").click()
        [msg] = consume_all(zone.admin, zone.cat.in_operations(RONGCHANG), expect=1, timeout=30)
        cmd = orjson.loads(msg.value() or b"{}")
        assert d.operation is not None and cmd["operation_id"] == d.operation.operation_id
        assert (cmd["outcome"], cmd["operator"], cmd["region"]) == (
            "false_alarm",
            officer(RONGCHANG),
            RONGCHANG,
        )
        wait_css(b, f"#d-{d.delivery_id}.status-answered")
