"""The evaluation app on the real broker: the scripted week in (with its requests and their audit records),
scorecards on the topic and the web view; a fresh app replaying from the start and `rax evaluate rebuild`
give identical scorecards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

from ops.kafka.ports import free_port
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.evaluate.replay import replay
from streams.runtime import ClientFactory
from tests.support.control import get, wait_for
from tests.support.evaluate import MONDAY, A, B, scripted_week
from tests.support.kafka import consume_all, create_topics
from tests.support.secure import SecureZone

ROOT = Path(__file__).parents[2]
SINCE = MONDAY.isoformat()


def _rax(kafka: KafkaSettings, *args: str) -> list[str]:
    return [sys.executable, "-m", "ops.cli", *args, "--bootstrap", kafka.bootstrap_servers]


@contextmanager
def _app(
    kafka: KafkaSettings, cat: Catalogue, tmp: Path, cli: tuple[list[str], dict[str, str]] | None = None
) -> Iterator[int]:
    """`rax run evaluate` in a subprocess (faust owns its event loop and signals); yields its web port.

    ``cli``: connection options and environment of another identity (``SecureZone.cli``)."""
    port = free_port()
    connect, env = cli or (["--bootstrap", kafka.bootstrap_servers], dict(os.environ))
    args = [sys.executable, "-m", "ops.cli", "run", "evaluate", *connect, "--namespace", cat.namespace]
    args += ["--since", SINCE, "--tick", "1", "--web-port", str(port), "--data-dir", str(tmp / f"f-{port}")]
    log = (tmp / f"evaluate-{port}.log").open("wb")
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()


def _latest(kafka: KafkaSettings, topic: str) -> dict[str, bytes]:
    return {(m.key() or b"").decode(): m.value() or b"" for m in consume_all(kafka, topic)}


@pytest.fixture
def week(kafka: KafkaSettings, catalogue: Catalogue) -> Catalogue:
    create_topics(kafka, catalogue.all_topics([A, B, "500153"], hit_partitions=3, shared_partitions=3))
    producer = ClientFactory(kafka, "test-week").producer()
    for r in scripted_week(catalogue):
        producer.produce(r.topic, r.value, r.key, timestamp=int(r.timestamp * 1000))
        producer.poll(0)
    assert producer.flush(30) == 0
    return catalogue


def test_the_app_publishes_the_weeks_scorecards_and_a_replay_reproduces_them(
    kafka: KafkaSettings, week: Catalogue, tmp_path: Path
) -> None:
    cat = week
    expected = replay(ClientFactory(kafka, "test-replay"), cat, MONDAY.timestamp())
    cards = dict(expected.publisher.changed(expected.ledger, full=True))
    b_week = f"{B}/week/2026-11-30T00:00:00Z"
    assert orjson.loads(cards[b_week])["acknowledge"]["breaches"] == 2
    # R1 declined on time, R2 answered late; R3 was refused to 500153, which was never asked
    requests = {"received": 2, "answered": 1, "declined": 1, "breaches": 1}
    assert orjson.loads(cards[b_week])["requests"] == requests
    assert not any(key.startswith("500153/") for key in cards)
    with _app(kafka, cat, tmp_path) as port:
        # the topic: every scorecard, equal to the replay's
        wait_for(lambda: _latest(kafka, cat.scorecards) == cards, 120, "the app's scorecards")
        status, body = get(port, f"/scorecards/{B}/week/2026-11-30T00:00:00Z")
        assert status == 200 and body == cards[b_week]
        status, body = get(port, "/scorecards")
        index = orjson.loads(body)
        assert status == 200 and set(index) == {A, B} and index[B]["week"]["region"] == B
        assert b"rax_evaluate_records_total" in get(port, "/metrics")[1]
        assert get(port, "/ready")[0] == 200 and get(port, "/health")[0] == 200
    letters = consume_all(kafka, cat.dlq("evaluate"))
    assert len(letters) == 1 and dict(letters[0].headers() or [])["rax.dlq.reason"] == b"invalid_json"
    # a fresh app (a group of its own) replays from the start: the same scorecards on its web view
    with _app(kafka, cat, tmp_path) as port:
        wait_for(lambda: get(port, f"/scorecards/{B}/week/2026-11-30T00:00:00Z")[1] == cards[b_week], 120)
        assert orjson.loads(get(port, "/scorecards")[1]) == index
    # the operator's rebuild republishes the same values
    done = subprocess.run(
        [*_rax(kafka, "evaluate", "rebuild"), "--namespace", cat.namespace, "--since", SINCE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"{len(cards)} written" in done.stdout
    assert _latest(kafka, cat.scorecards) == cards


def test_the_app_runs_as_its_own_identity_on_the_secured_broker(
    secure_zone: SecureZone, tmp_path: Path
) -> None:
    """As `rax-evaluator` (SCRAM over TLS): it reads the audit log, matches and the inputs, and writes only
    its scorecards and dead letters — the same scorecards as a replay by the super user."""
    cat, admin = secure_zone.cat, secure_zone.admin
    producer = ClientFactory(admin, "test-week").producer()
    for r in scripted_week(cat):
        producer.produce(r.topic, r.value, r.key, timestamp=int(r.timestamp * 1000))
        producer.poll(0)
    assert producer.flush(30) == 0
    expected = replay(ClientFactory(admin, "test-replay"), cat, MONDAY.timestamp())
    cards = dict(expected.publisher.changed(expected.ledger, full=True))
    connect, env = secure_zone.cli(secure_zone.evaluator)
    with _app(admin, cat, tmp_path, (connect, env)):
        wait_for(lambda: _latest(admin, cat.scorecards) == cards, 120, "the evaluator's scorecards")
    assert len(consume_all(admin, cat.dlq("evaluate"))) == 1
    rebuild = [sys.executable, "-m", "ops.cli", "evaluate", "rebuild", *connect, "--namespace", cat.namespace]
    done = subprocess.run(
        [*rebuild, "--since", SINCE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and f"{len(cards)} written" in done.stdout, done.stderr
