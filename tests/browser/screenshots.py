"""Takes the README's screenshots of the console with Selenium: `python -m tests.browser.screenshots`.

Starts its own secured one-node broker, applies the example zone, runs the control app and the consoles
of 泸县 (510521) and 荣昌 (500153) as their own identities, fills them with a few deliveries of each
kind, and saves PNGs under docs/console/.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from schemas.codec import encode
from schemas.topics import Catalogue
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
from tests.support.secure import secure_zone_on, secured_cluster_in

OUT = Path(__file__).resolve().parents[2] / "docs" / "console"
LUXIAN, RONGCHANG = "510521", "500153"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work, secured_cluster_in(Path(work)) as (cluster, credentials):
        zone = secure_zone_on(cluster, credentials, Catalogue("rax"))
        now = datetime.now(UTC)
        items = [
            own_operation(RONGCHANG, LUXIAN),  # a cloned-plate operation 荣昌 owns: it may close it
            fresh_match(RONGCHANG, now - timedelta(minutes=75)),  # overdue: the clock is red
            fresh_match(RONGCHANG, kind="partial", matched_plate="川A1?3?5", score=0.6, edits=0),
            fresh_match(
                RONGCHANG, kind="misread", plate="川A1234B", matched_plate="川A12348", score=0.9, edits=1
            ),
            fresh_match(RONGCHANG),
        ]
        with (
            running_control(zone.processors, zone.cat, worker_id="shots", tick_s=0.5),
            running_console(zone.region(LUXIAN), zone.cat, LUXIAN, Path(work)) as luxian,
            running_console(zone.region(RONGCHANG), zone.cat, RONGCHANG, Path(work)) as rongchang,
            chromium() as b,
        ):
            b.get(rongchang.url + "/login")
            wait_css(b, "#sign-in")
            b.save_screenshot(str(OUT / "sign-in.png"))
            sign_in(b, luxian.url, officer(LUXIAN))
            b.find_element(By.CSS_SELECTOR, "details.compose summary").click()
            Select(b.find_element(By.ID, "category")).select_by_value("stolen_vehicle")
            b.find_element(By.ID, "headline").send_keys("被盗车辆 白色大众朗逸 川A12345")
            b.find_element(By.ID, "plates").send_keys("川A12345")
            b.save_screenshot(str(OUT / "compose.png"))
            b.find_element(By.ID, "send-alert").click()
            wait_css(b, "#compose .msg")
            b.find_element(By.CSS_SELECTOR, "details.compose summary").click()
            b.find_element(By.CSS_SELECTOR, "details.request summary").click()
            b.find_element(By.ID, "rq-to").send_keys(RONGCHANG)
            Select(b.find_element(By.ID, "rq-category")).select_by_value("stolen_vehicle")
            b.find_element(By.ID, "rq-purpose").send_keys("investigation")
            b.find_element(By.ID, "rq-basis").send_keys("立案决定书 泸公刑立字〔2026〕123号")
            b.find_element(By.ID, "rq-plate").send_keys("川E12345")
            b.find_element(By.ID, "rq-details").send_keys("white SUV heading east on G85")
            b.find_element(By.ID, "send-request").click()
            wait_css(b, "#request .msg")
            for d in items:
                publish(zone.processors, zone.cat.out(RONGCHANG), [(d.delivery_id.encode(), encode(d))])
            b.switch_to.new_window("tab")
            sign_in(b, rongchang.url, officer(RONGCHANG))
            wait_css(b, f"#d-{items[-1].delivery_id}")
            deadline = time.monotonic() + 60
            while len(b.find_elements(By.CSS_SELECTOR, "#live .item")) < len(items) + 2:
                assert time.monotonic() < deadline, "the alert and the request did not reach 荣昌"
                time.sleep(0.3)
            card = b.find_element(By.ID, f"d-{items[2].delivery_id}")
            Select(card.find_element(By.CSS_SELECTOR, "form.reject select")).select_by_visible_text("misread")
            card.find_element(By.CSS_SELECTOR, ".b-reject").click()
            b.find_element(By.ID, f"d-{items[4].delivery_id}").find_element(By.CSS_SELECTOR, ".b-ack").click()
            wait_css(b, f"#d-{items[4].delivery_id}.status-answered")
            time.sleep(1.2)  # one tick of the countdowns
            b.set_window_size(1280, 1450)
            b.save_screenshot(str(OUT / "live.png"))
            b.get(rongchang.url + "/history")
            wait_css(b, "#history .item")
            b.save_screenshot(str(OUT / "history.png"))
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
