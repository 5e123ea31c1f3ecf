"""Cooperation requests on the real broker, through `rax request` and `rax audit trace`: a thread
send → accept → answer and a decline, a refusal under the consent rule, a deadline breach, and a thread
that survives a restart of the control app; the trace of the plate says who did what, and is audited.

The control app runs as the runtime's loop in a thread of the test process (``running_control``); the
CLI commands run in-process through click's runner, against the same broker. Reads are read_committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from ops.centre.requests import read_threads
from ops.cli import main
from schemas.dlq import parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.control.config import DeadlinePolicy
from tests.support.control import dead_letters, running_control, wait_for
from tests.support.hotpath import apply_example_zone
from tests.support.kafka import consume_all, unique

LX, RC, CQ, AJ = "510521", "500153", "500000", "510904"  # 泸县 荣昌 重庆 安居


class Env:
    def __init__(self, kafka: KafkaSettings, cat: Catalogue) -> None:
        self.kafka, self.cat = kafka, cat

    def rax(self, *args: str) -> str:
        """Run `rax ARGS` against the test broker and namespace; its standard output."""
        common = ["--bootstrap", self.kafka.bootstrap_servers, "--namespace", self.cat.namespace]
        result = CliRunner().invoke(main, [*args, *common])
        assert result.exit_code == 0, result.output
        return result.stdout

    def send(
        self, *recipients: str, plate: str, priority: str = "high", purpose: str = "interception"
    ) -> str:
        to = [a for r in recipients for a in ("--to", r)]
        out = self.rax("request", "send", "--region", LX, *to, "--kind", "locate_vehicle",
                       "--category", "fugitive", "--purpose", purpose, "--legal-basis", "立案决定书 2026-123",
                       "--priority", priority, "--operator", "510521-0042", "--plate", plate)  # fmt: skip
        return out.strip()

    def answer(self, request_id: str, region: str, status: str, *extra: str) -> None:
        self.rax("request", "answer", request_id, "--region", region, "--status", status,
                 "--operator", f"{region}-0007", *extra)  # fmt: skip

    def thread(self, region: str, request_id: str) -> dict[str, Any] | None:
        threads = read_threads(self.kafka, self.cat, region)
        return threads[request_id].summary(region) if request_id in threads else None


@pytest.fixture(scope="module")
def env(broker: Any) -> Iterator[Env]:
    cat = Catalogue(unique("req").replace("-", ""))
    apply_example_zone(broker.settings, cat)
    yield Env(broker.settings, cat)


def _deadlines() -> DeadlinePolicy:
    defaults = DeadlinePolicy()
    return DeadlinePolicy(acknowledge={**defaults.acknowledge, "*:low": 3.0}, outcome=defaults.outcome)


@pytest.fixture(scope="module")
def control(env: Env) -> Iterator[None]:
    settings = {"tick_s": 0.2, "views_s": 0.2}
    with running_control(env.kafka, env.cat, **settings, deadlines=_deadlines()):
        yield


def test_a_thread_send_accept_answer_and_a_decline_reach_the_requester_and_the_trace(
    env: Env, control: None, tmp_path: Path
) -> None:
    rid = env.send(RC, CQ, plate="川E10001")
    got = wait_for(lambda: env.thread(RC, rid), 30, "the request at 荣昌")
    assert got["role"] == "recipient" and got["requester"] == LX
    env.answer(rid, RC, "accepted")
    env.answer(rid, RC, "answered", "--text", "seen at K12, 10:02", "--attach",
               "https://evidence.500153.example/k12.jpg#sha256=" + "a" * 64)  # fmt: skip
    env.answer(rid, CQ, "declined", "--reason", "no checkpoint on that road")
    done = {RC: "answered", CQ: "declined"}
    wait_for(lambda: (t := env.thread(LX, rid)) and t["statuses"] == done, 30, "the answers at 泸县")
    listed = [
        orjson.loads(line) for line in env.rax("request", "list", "--region", LX, "--json").splitlines()
    ]
    (mine,) = [t for t in listed if t["request"] == rid]
    assert [a["status"] for a in mine["thread"]["answers"]] == ["accepted", "answered", "declined"]
    assert mine["thread"]["answers"][1]["attachments"][0]["sha256"] == "a" * 64

    body = orjson.loads(env.rax("audit", "trace", "--plate", "川E10001", "--as-region", LX,
                                "--operator", "510521-audit", "--json"))  # fmt: skip
    events = [e["event"] for e in body["events"]]
    assert events.count("disclosed") == 3 and {"accepted", "answered", "declined"} <= set(events)
    assert body["parties"][RC]["acted"][0].startswith("accepted") and body["parties"][CQ]["open"] == []
    assert body["scanned"] >= len(body["events"]) and body["seconds"] < 5
    # the trace is audited: the next trace of the plate shows who ran the first one
    again = orjson.loads(env.rax("audit", "trace", "--plate", "川E10001", "--as-region", LX,
                                 "--operator", "510521-audit", "--json"))  # fmt: skip
    traced = [e for e in again["events"] if e["event"] == "traced"]
    assert len(traced) == 1 and traced[0]["actor"] == "510521-audit"
    args = ["--as-region", LX, "--operator", "510521-audit", "--json", "--no-index", "--since", "2099-01-01"]
    later = orjson.loads(env.rax("audit", "trace", "--plate", "川E10001", *args))
    assert later["events"] == []  # nothing was written after --since
    # with the index: the same timeline (plus the traces), from point reads
    index = str(tmp_path / "index.sqlite")
    assert "indexed" in env.rax("audit", "index", "--index", index)
    fast = orjson.loads(env.rax("audit", "trace", "--plate", "川E10001", "--as-region", LX,
                                "--operator", "510521-audit", "--json", "--index", index))  # fmt: skip
    assert [e["event"] for e in fast["events"]] == [e["event"] for e in again["events"]] + ["traced"] * 2
    assert fast["scanned"] == len(fast["events"])  # point reads of the plate's records only, no scan


def test_a_request_to_a_region_without_agreement_is_dead_lettered_and_the_refusal_audited(
    env: Env, control: None
) -> None:
    rid = env.send(RC, AJ, plate="川E10002")

    def letter() -> Any:
        for m in dead_letters(env.kafka, env.cat):
            if m.key() == rid.encode():
                return parse_dlq_headers(m.headers() or [])
        return None

    found = wait_for(letter, 30, "the dead letter")
    assert found.reason.value == "not_authorised" and AJ in (found.error or "")
    assert found.source_topic == env.cat.in_requests(LX)
    refused = [orjson.loads(m.value()) for m in consume_all(env.kafka, env.cat.audit)]
    refused = [a for a in refused if a["subject_id"] == rid]
    assert [(a["recipient"], a["decision"], a["reason"]) for a in refused] == [
        (AJ, "refused", "no_agreement")
    ]
    assert env.thread(RC, rid) is None and env.thread(LX, rid) is None  # delivered to nobody


def test_a_silent_recipient_raises_one_breach_to_the_requester(env: Env, control: None) -> None:
    rid = env.send(RC, plate="川E10003", priority="low")  # low: acknowledge within 3 s (this module)
    late = wait_for(lambda: (t := env.thread(LX, rid)) and t["breaches"], 30, "the breach")
    assert late == [f"{RC}:acknowledge"]
    wait_for(lambda: env.thread(RC, rid), 10, "the request at 荣昌")
    env.answer(rid, RC, "accepted")  # late: taken, and no second breach of the same stage
    wait_for(lambda: (t := env.thread(LX, rid)) and t["statuses"][RC] == "accepted", 30, "the late answer")
    assert env.thread(LX, rid)["breaches"] == [f"{RC}:acknowledge"]  # type: ignore[index]


def test_a_thread_survives_a_restart_of_the_control_app(env: Env) -> None:
    cat = Catalogue(unique("rqr").replace("-", ""))
    apply_example_zone(env.kafka, cat)
    own = Env(env.kafka, cat)
    with running_control(env.kafka, cat, tick_s=0.2):
        rid = own.send(RC, plate="川E10004")
        wait_for(lambda: own.thread(RC, rid), 30, "the request at 荣昌")
    own.answer(rid, RC, "accepted")  # while the app is down
    with running_control(env.kafka, cat, tick_s=0.2):  # a new worker: the thread from the changelog
        wait_for(lambda: (t := own.thread(LX, rid)) and t["statuses"][RC] == "accepted", 60, "the answer")
        own.answer(rid, RC, "answered", "--text", "found")
        wait_for(lambda: (t := own.thread(LX, rid)) and t["statuses"][RC] == "answered", 30, "the result")
    letters = [m for m in dead_letters(env.kafka, cat) if m.key() == rid.encode()]
    assert letters == []  # an answer to a request the new worker did not know would be unknown_reference
