"""The console without a reachable Kafka: the page says so, and sign-ins are still throttled."""

from __future__ import annotations

import http.cookiejar
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from selenium.webdriver.common.by import By

from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.support.console import chromium, officer, running_console, sign_in

NOWHERE = KafkaSettings(bootstrap_servers="127.0.0.1:1")  # nothing listens there


def test_the_page_says_when_kafka_is_unreachable(tmp_path: Path) -> None:
    with running_console(NOWHERE, Catalogue("offline"), "500153", tmp_path) as console, chromium() as b:
        sign_in(b, console.url, officer("500153"))
        deadline = time.monotonic() + 30
        while "Kafka unreachable" not in b.find_element(By.ID, "banner").text:
            assert time.monotonic() < deadline, b.find_element(By.ID, "banner").text
            time.sleep(0.2)
        assert b.find_element(By.ID, "banner").is_displayed()
        assert b.find_element(By.TAG_NAME, "body").get_attribute("data-feed") == "unreachable"


def _login(url: str, name: str, password: str) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = opener.open(url + "/login", timeout=10).read().decode()
    csrf = form.split('name="csrf" value="')[1].split('"')[0]
    data = urllib.parse.urlencode({"csrf": csrf, "officer": name, "password": password}).encode()
    try:
        return int(opener.open(url + "/login", data, timeout=10).status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_sign_ins_are_throttled_after_five_failures(tmp_path: Path) -> None:
    with running_console(NOWHERE, Catalogue("offline"), "500153", tmp_path) as console:
        name = officer("500153")
        assert [_login(console.url, name, "wrong password") for _ in range(5)] == [401] * 5
        assert _login(console.url, name, "test officer password") == 429  # even the right one, for now
        assert _login(console.url, "500153-other", "wrong password") == 429  # and from this address
