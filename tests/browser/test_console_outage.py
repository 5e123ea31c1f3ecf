"""The broker stopped under an open page: the page says Kafka is unreachable, then shows every delivery
made before and after the outage exactly once (a broker of this module alone: stopping the session's
would disturb the other tests)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from ops.kafka import LocalCluster
from schemas.topics import Catalogue
from tests.browser.test_console import RONGCHANG, _deliver
from tests.support.console import chromium, fresh_match, officer, running_console, sign_in, wait_css
from tests.support.kafka import unique
from tests.support.secure import secure_zone_on, secured_cluster_in


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalCluster, Path]]:
    """A secured broker of this module alone, as tests/faults/test_broker_outage.py has."""
    with secured_cluster_in(tmp_path_factory.mktemp("console-outage")) as secured:
        yield secured


def _banner(driver: Any) -> str:
    el = driver.find_element(By.ID, "banner")
    return str(el.text) if el.is_displayed() else ""


def _wait_banner(driver: Any, wanted: str | None, timeout: float = 30.0) -> str:
    """The banner once it contains ``wanted`` (``None``: once it is hidden)."""
    deadline = time.monotonic() + timeout
    while True:
        text = _banner(driver)
        if (wanted is None and not text) or (wanted is not None and wanted in text):
            return text
        assert time.monotonic() < deadline, f"banner {text!r}, waiting for {wanted!r}"
        time.sleep(0.2)


def test_the_page_says_kafka_is_down_and_after_it_shows_every_delivery_once(
    own_broker: tuple[LocalCluster, Path], tmp_path: Path
) -> None:
    cluster, credentials = own_broker
    zone = secure_zone_on(cluster, credentials, Catalogue(unique("t").replace("-", "")))
    before = [fresh_match(RONGCHANG) for _ in range(3)]
    after = [fresh_match(RONGCHANG) for _ in range(3)]
    with running_console(zone.region(RONGCHANG), zone.cat, RONGCHANG, tmp_path) as console, chromium() as b:
        sign_in(b, console.url, officer(RONGCHANG))
        for d in before:
            _deliver(zone, d)
        for d in before:
            wait_css(b, f"#d-{d.delivery_id}")
        _wait_banner(b, None)  # caught up: live, no banner

        cluster.kill_node(1)
        try:
            down = _wait_banner(b, "Kafka unreachable")
            assert console.state.feed_status["state"] == "unreachable"
            samples = set()  # all the while it says so, never "live" in between
            for _ in range(25):
                time.sleep(0.2)
                samples.add((_banner(b), console.state.feed_status["state"]))
            assert samples == {(down, "unreachable")}, samples
            assert console.loop is not None  # the page's own stream cut too, while Kafka is down
            console.loop.call_soon_threadsafe(console.state.close)
            deadline = time.monotonic() + 10
            while console.state.queues or not _banner(b).startswith("Connection"):
                assert time.monotonic() < deadline, "the page did not see its stream cut"
                time.sleep(0.02)
            _wait_banner(b, "Kafka unreachable", timeout=10)  # back on the console, which says so
        finally:
            cluster.restart_node(1)

        _deliver(zone, before[0])  # a processor replaying after the outage writes one again
        for d in after:
            _deliver(zone, d)
        for d in after:
            wait_css(b, f"#d-{d.delivery_id}", timeout=60)
        _wait_banner(b, None)  # the banner goes once the feed reads again

        ids = Counter(e.get_attribute("data-id") for e in b.find_elements(By.CSS_SELECTOR, "#live .item"))
        assert ids == Counter(d.delivery_id for d in before + after)
        shown = Counter(i for i, _ in b.execute_script("return window.RAX_SHOWN"))
        assert shown == ids  # each reached the page once, not twice and hidden
