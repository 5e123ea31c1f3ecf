"""The console for browser tests: a server in a thread with officers made, and a headless chromium.

Chromium and its driver are Debian's (`apt-get install chromium chromium-driver`, as `.ci/run` does);
where they are missing the browser tests are skipped, saying what to install.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from ops.console import ConsoleServer, ConsoleSettings, OfficerFile, Role
from schemas.codec import encode
from schemas.delivery import Delivery, DeliveryKind, delivery_id
from schemas.kafka_settings import KafkaSettings
from schemas.operation import EscalationTrigger, EvidenceRead, Operation, operation_id
from schemas.requests import CooperationRequest, RequestAnswer
from schemas.scorecard import Period, Scorecard
from schemas.topics import Catalogue
from schemas.vocab import Category, Priority
from tests.unit.models_factories import match_delivery

__all__ = [
    "PASSWORD",
    "answer_delivery",
    "chromium",
    "fresh_match",
    "officer",
    "own_operation",
    "request_delivery",
    "running_console",
    "scorecard",
    "sign_in",
    "wait_css",
]

PASSWORD = "test officer password"


def fresh_match(recipient: str, produced_at: datetime | None = None, **match_over: Any) -> Delivery:
    """A match delivery to ``recipient`` of a new hit read and delivered now (its deadline lies ahead),
    or at ``produced_at``."""
    at = produced_at or datetime.now(UTC)
    data = orjson.loads(encode(match_delivery(recipient=recipient)))
    when = {"pass_time": at.isoformat(), "matched_at": at.isoformat()}
    data["match"].update(hit_event_id=str(uuid.uuid4()), **when, **match_over)
    data["delivery_id"] = delivery_id(data["match"]["hit_event_id"], data["match"]["entry_id"], recipient)
    data["produced_at"] = data["source_time"] = at.isoformat()
    return Delivery.model_validate(data)


def own_operation(owner: str, partner: str) -> Delivery:
    """A cloned-plate operation ``owner`` opened (reads in both regions), as delivered to ``owner``."""
    now = datetime.now(UTC)
    reads = tuple(
        EvidenceRead(event_id=str(uuid.uuid4()), plate="川A12345", region=r, checkpoint_id="K", pass_time=now)
        for r in (partner, owner)
    )
    trigger = EscalationTrigger.CLONED_PLATE
    op = Operation(
        operation_id=operation_id(trigger, "川A12345", "", reads[0].event_id, reads[1].event_id),
        trigger=trigger,
        plate="川A12345",
        category=Category.CLONED_PLATE,
        evidence=reads,
        regions=(owner, partner),
        owner=owner,
        priority=Priority.HIGH,
        opened_at=now,
    )
    return Delivery(
        delivery_id=delivery_id(op.operation_id, trigger.value, owner),
        recipient=owner,
        kind=DeliveryKind.OPERATION,
        owner=owner,
        operation=op,
        produced_at=now,
        source_time=now,
    )


def request_delivery(req: CooperationRequest, recipient: str) -> Delivery:
    """``req`` as the control app delivers it to ``recipient`` (the requester's own copy if it is it)."""
    own = recipient == req.requester
    return Delivery(
        delivery_id=delivery_id(req.request_id, req.requester, recipient),
        recipient=recipient,
        kind=DeliveryKind.REQUEST,
        owner=req.requester,
        request=req,
        agreement_id=None if own else f"cy-{req.requester}-{recipient}",
        purpose=None if own else req.purpose,
        produced_at=req.sent_at,
        source_time=req.sent_at,
    )


def answer_delivery(ans: RequestAnswer, recipient: str) -> Delivery:
    """``ans`` as the control app delivers it to ``recipient`` (the requester, or the answerer's receipt)."""
    own = recipient == ans.region
    return Delivery(
        delivery_id=delivery_id(ans.answer_id, ans.request_id, recipient),
        recipient=recipient,
        kind=DeliveryKind.REQUEST_ANSWER,
        owner=ans.region,
        answer=ans,
        agreement_id=None if own else f"cy-{ans.region}-{recipient}",
        purpose=None if own else "investigation",
        produced_at=ans.at,
        source_time=ans.at,
    )


def scorecard(region: str, period: Period = Period.DAY) -> Scorecard:
    """A scorecard of ``region`` as the evaluation app publishes it: 7 of 8 acknowledged, one silent
    checkpoint."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return Scorecard.model_validate(
        {
            "region": region,
            "period": period,
            "start": start,
            "end": start + timedelta(hours=1),
            "as_of": start,
            "acknowledge": {"owed": 8, "answered": 7, "p50_s": 42.0, "p90_s": 300.0, "breaches": 1},
            "answer": {"owed": 2, "answered": 1, "breaches": 0},
            "outcome_reporting_rate": 0.5,
            "checkpoints": [
                {
                    "checkpoint_id": f"{region}-K1",
                    "reads": 0,
                    "baseline_per_hour": 12.0,
                    "expected": 12.0,
                    "status": "silent",
                    "matches": 0,
                    "intercepted": 0,
                    "false_positive": 0,
                },
            ],
            "freshness": {"reads": 120, "p50_s": 0.5, "p90_s": 2.0},
        }
    )


def officer(region: str, role: Role = Role.DUTY_OFFICER) -> str:
    """The name of the test officer of ``region`` with ``role`` (made by ``running_console``)."""
    return f"{region}-{role.value.replace('_', '')}"


@contextmanager
def running_console(
    kafka: KafkaSettings, cat: Catalogue, region: str, work: Path, **over: Any
) -> Iterator[ConsoleServer]:
    """The console of ``region`` on a free port, as ``kafka``'s identity, with one officer per role."""
    officers = OfficerFile(work / f"officers-{region}.json")
    for role in Role:
        officers.add(officer(region, role), role, PASSWORD)
    settings = ConsoleSettings(
        kafka=kafka,
        namespace=cat.namespace,
        region=region,
        port=0,
        officers=officers.path,
        journal=work / f"journal-{region}.jsonl",
        **over,
    )
    server = ConsoleServer(settings).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian chromium driven by chromium-driver; skips the test where they are not installed."""
    binary, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if binary is None or driver_path is None:
        pytest.skip(
            "browser tests need Debian's chromium and chromium-driver: apt-get install chromium "
            "chromium-driver"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                "--ignore-certificate-errors"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_css(driver: Any, css: str, timeout: float = 10.0) -> Any:
    """The first element matching ``css`` once it exists (polls the page, no fixed sleeps)."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    while True:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"{css} did not appear within {timeout} s")
        time.sleep(0.02)


def sign_in(driver: Any, url: str, name: str, password: str = PASSWORD) -> None:
    """Signs ``name`` in on the console at ``url`` and waits for the live list."""
    from selenium.webdriver.common.by import By

    driver.get(url + "/login")
    driver.find_element(By.ID, "officer").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "sign-in").click()
    wait_css(driver, "#live")
