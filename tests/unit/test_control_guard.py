"""No exception escapes an agent: the guard sends failures to the DLQ, unresolved records to a retry."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from schemas.dlq import DlqReason, DlqStage
from streams.control.common import Rejected, Unresolved
from streams.control.metrics import ControlMetrics
from streams.control.worker.guard import Headers, Source, guard, retry_headers, source_from_retry

SOURCE = Source("alerts", "t.in.510521.alerts", 2, 41, "510521")
RECORD = (b"key", b'{"raw": true}', [("trace", b"1")])


class Sink:
    def __init__(self) -> None:
        self.dead: list[tuple[Source, bytes | None, bytes | None, Headers, Rejected]] = []
        self.retried: list[Source] = []

    async def dead_letter(
        self, source: Source, key: Any, value: Any, headers: Headers, why: Rejected
    ) -> None:
        self.dead.append((source, key, value, headers, why))

    async def retry(self, source: Source, key: Any, value: Any, headers: Headers) -> None:
        self.retried.append(source)


def run(handler: Any, source: Source = SOURCE, retries: int = 2) -> tuple[str, Sink, CollectorRegistry]:
    sink, registry = Sink(), CollectorRegistry()
    outcome = asyncio.run(guard(sink, ControlMetrics(registry), source, RECORD, handler, retries))
    return outcome, sink, registry


def test_an_unexpected_exception_sends_the_original_record_to_the_dlq() -> None:
    async def broken() -> str:
        raise KeyError("sender_region")

    outcome, sink, registry = run(broken)
    assert outcome == "rejected"
    [(source, key, value, headers, why)] = sink.dead
    assert (source, key, value, headers) == (SOURCE, *RECORD)
    assert (why.reason, why.stage) == (DlqReason.PROCESSING_ERROR, DlqStage.PROCESS)
    assert "KeyError" in str(why)
    labels = {"stream": "alerts", "reason": "processing_error", "stage": "process"}
    assert registry.get_sample_value("rax_control_dead_letters_total", labels) == 1.0
    assert (
        registry.get_sample_value("rax_control_records_total", {"stream": "alerts", "outcome": "rejected"})
        == 1
    )


def test_bad_input_goes_to_the_dlq_with_its_reason() -> None:
    async def impostor() -> str:
        raise Rejected(DlqReason.REGION_MISMATCH, DlqStage.VALIDATE, "not your topic")

    _, sink, _ = run(impostor)
    assert sink.dead[0][4].reason == DlqReason.REGION_MISMATCH


def test_an_unresolved_reference_is_retried_then_dead_lettered() -> None:
    async def early() -> str:
        raise Unresolved("refers to x, not known")

    outcome, sink, _ = run(early)
    assert outcome == "retried" and sink.retried[0].attempt == 1 and not sink.dead
    outcome, sink, _ = run(early, Source("alerts", SOURCE.topic, 2, 41, "510521", attempt=2))
    assert outcome == "rejected" and sink.dead[0][4].reason == DlqReason.UNKNOWN_REFERENCE


@pytest.mark.parametrize("result", ["ok", "duplicate"])
def test_a_handled_record_is_counted(result: str) -> None:
    async def fine() -> str:
        return result

    outcome, sink, registry = run(fine)
    assert outcome == result and not sink.dead
    assert (
        registry.get_sample_value("rax_control_records_total", {"stream": "alerts", "outcome": result}) == 1
    )


def test_retry_headers_round_trip_and_keep_the_original_headers() -> None:
    retried = Source("acks", "t.in.500153.acks", 1, 7, "500153", attempt=3)
    headers = retry_headers(retried, [("trace", b"1"), ("rax.retry.attempt", b"1")], delay=0.5)
    source, not_before, own = source_from_retry(headers)
    assert source == retried and own == [("trace", b"1")]
    assert 1.4 < not_before - time.time() <= 1.51  # attempt x delay
