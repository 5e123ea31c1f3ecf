"""checkpoint-http on the real broker: 202 after Kafka acked, 400 per bad record, 401, 503 + Retry-After."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from connectors.checkpoint_http import CheckpointHttpConfig, CheckpointHttpSource
from connectors.sdk import FatalError, Runtime, RuntimeConfig
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.integration.connectors.drivers import free_port, wait_listening
from tests.support.kafka import consume_all, create_topics

TOKEN = "region-token-of-510000-0123456789abcdef"


def _post(port: int, body: Any, token: str = TOKEN) -> tuple[int, dict[str, Any], dict[str, str]]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/hits", data=orjson.dumps(body), method="POST",
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, orjson.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read() or b"{}"), dict(exc.headers)


def _serve(kafka: KafkaSettings, namespace: str, **runtime: Any) -> Iterator[tuple[int, Runtime]]:
    port = free_port()
    config = CheckpointHttpConfig(port=port, token=TOKEN, ack_timeout_s=3)  # type: ignore[arg-type]
    runner = Runtime(
        CheckpointHttpSource, config, RuntimeConfig(region="510000", namespace=namespace, **runtime), kafka
    )
    failures: list[FatalError] = []

    def run() -> None:
        try:
            runner.run()
        except FatalError as exc:  # expected when the broker is down: records left unacknowledged
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        wait_listening(port)
        yield port, runner
    finally:
        runner.request_stop()
        thread.join(60)


@pytest.fixture
def served(kafka: KafkaSettings, catalogue: Catalogue) -> Iterator[tuple[int, Runtime]]:
    create_topics(kafka, catalogue.region_topics("510000", hit_partitions=3) + catalogue.shared_topics(3))
    yield from _serve(kafka, catalogue.namespace)


def _record(i: int, **extra: Any) -> dict[str, Any]:
    return {"kkbh": "510000-K0001", "hphm": f"川A{i:05d}", "gcsj": "2024-05-01 08:00:00", "cdbh": 1, **extra}


def test_a_batch_is_answered_202_once_in_kafka(served: tuple[int, Runtime], kafka: KafkaSettings,
                                               catalogue: Catalogue) -> None:  # fmt: skip
    port, _ = served
    status, body, _ = _post(port, [_record(i) for i in range(10)])
    assert (status, body["accepted"]) == (202, 10)
    # the 202 came after the acknowledgement, so the records are readable at once
    assert len(consume_all(kafka, catalogue.in_hits("510000"), timeout=5)) == 10


def test_bad_records_get_400_with_their_reasons_and_the_good_ones_are_published(
    served: tuple[int, Runtime], kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    port, _ = served
    status, body, _ = _post(port, [_record(1), _record(2, gcsj="yesterday"), _record(3, hphm="无牌")])
    assert status == 400
    assert body["accepted"] == 1 and body["dropped_unread"] == [2]
    assert [r["index"] for r in body["rejected"]] == [1] and "pass_time" in body["rejected"][0]["reason"]
    assert len(consume_all(kafka, catalogue.dlq("connector", "510000"), expect=1, timeout=10)) == 1


def test_without_the_regions_token_401(served: tuple[int, Runtime]) -> None:
    port, _ = served
    assert _post(port, _record(1), token="guess")[0] == 401
    assert _post(port, _record(1), token=TOKEN[:-1])[0] == 401


def test_an_oversized_body_is_dead_lettered_and_answered_413(
    served: tuple[int, Runtime], kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    port, _ = served
    big = [_record(i, note="x" * 1000) for i in range(5000)]  # about 5 MB, over the 4 MiB default
    status, body, _ = _post(port, big)
    assert status == 413 and body["reason"] == "too_large" and "dead-lettered" in body["error"]
    (letter,) = consume_all(kafka, catalogue.dlq("connector", "510000"), timeout=10)
    assert dict(letter.headers() or ())["rax.dlq.reason"] == b"too_large"


def test_503_with_retry_after_when_kafka_does_not_keep_up() -> None:
    down = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")  # nothing listens: nothing is acked
    for port, _ in _serve(down, "down", max_in_flight_records=100, shutdown_timeout_s=1):
        first = _post(port, [_record(i) for i in range(150)])  # queued, never acknowledged
        assert first[0] == 503
        status, _, headers = _post(port, [_record(1)])
        assert status == 503 and headers.get("Retry-After") == "1"
