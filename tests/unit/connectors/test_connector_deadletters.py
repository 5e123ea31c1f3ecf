"""Connector dead letters: bounded and traceable, and a letter Kafka refuses is replaced by its stub."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar

import pytest
from confluent_kafka import KafkaError, KafkaException

from connectors.sdk import (
    Batch,
    FatalError,
    Original,
    RecordKind,
    Runtime,
    RuntimeConfig,
    Source,
    SourceRecord,
)
from connectors.sdk.delivery import DeadLetters
from connectors.simulator import SimulatorConfig
from schemas.dlq import DlqReason, DlqStage, parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory
from tests.unit.models_factories import hit_data

REGION = "510521"
DLQ = Catalogue("rax").dlq("connector", REGION)


def _headers(headers: Any) -> dict[str, bytes]:
    return {name: value for name, value in headers or ()}


def test_a_letter_keeps_key_and_headers_and_cuts_the_value_with_its_size_and_digest() -> None:
    raw = b"x" * 1000
    letter, stub = DeadLetters(DLQ, "checkpoint-file", REGION, max_value_bytes=100).letter(
        raw,
        "hits.csv:42",
        DlqReason.SCHEMA_VIOLATION,
        "plate: too long",
        key=b"k",
        headers=[("trace", b"t1")],
    )
    headers = _headers(letter.headers)
    assert letter.topic == DLQ and letter.key == b"k" and letter.value == raw[:100]
    assert headers["trace"] == b"t1" and headers["rax.connector.origin"] == b"hits.csv:42"
    assert (
        headers["rax.connector.name"] == b"checkpoint-file"
        and headers["rax.connector.region"] == REGION.encode()
    )
    assert headers["rax.dlq.original.size"] == b"1000" and headers["rax.dlq.truncated"] == b"value"
    assert headers["rax.dlq.original.sha256"] == hashlib.sha256(raw).hexdigest().encode()
    dead = parse_dlq_headers(letter.headers)
    assert (dead.component, dead.reason, dead.stage) == (
        "connector",
        DlqReason.SCHEMA_VIOLATION,
        DlqStage.DECODE,
    )

    small = stub("MSG_SIZE_TOO_LARGE")
    assert small.topic == DLQ and small.key is None and small.value is None
    assert _headers(small.headers)["rax.dlq.truncated"] == b"stub"
    assert _headers(small.headers)["rax.dlq.original.size"] == b"1000"
    assert "MSG_SIZE_TOO_LARGE" in parse_dlq_headers(small.headers).error


class _FakeMessage:
    def __init__(self, topic: str, key: bytes | None, value: bytes | None, headers: Any) -> None:
        self._topic, self._key, self._value, self._headers = topic, key, value, headers

    def topic(self) -> str:
        return self._topic

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def headers(self) -> Any:
        return self._headers


class _FakeProducer:
    """librdkafka's two refusals of a value: over ``local`` bytes at ``produce``, over ``broker`` bytes in the
    delivery report (-1: the broker refuses everything)."""

    def __init__(self, local: int, broker: int) -> None:
        self.local, self.broker = local, broker
        self.queued: list[tuple[_FakeMessage, Callable[..., None]]] = []
        self.delivered: list[_FakeMessage] = []

    def produce(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: Any = None,
        on_delivery: Any = None,
    ) -> None:
        if len(value or b"") > self.local:
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
        self.queued.append((_FakeMessage(topic, key, value, headers), on_delivery))

    def poll(self, _timeout: float = 0) -> int:
        queued, self.queued = self.queued, []
        for msg, callback in queued:
            too_large = len(msg.value() or b"") > self.broker
            if not too_large:
                self.delivered.append(msg)
            callback(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE) if too_large else None, msg)
        return len(queued)

    def flush(self, timeout: float = 0) -> int:
        while self.queued:
            self.poll()
        return 0

    def __len__(self) -> int:
        return len(self.queued)


class _OneBatch(Source[SimulatorConfig]):
    """Hands over ``records`` once, then says it is exhausted."""

    name, kind, config_model = "one-batch", RecordKind.HITS, SimulatorConfig
    records: ClassVar[list[SourceRecord]] = []
    done: ClassVar[list[str | None]] = []

    def poll(self, timeout: float) -> Batch:
        records = [replace(r, on_done=self.done.append) for r in self.records]
        return Batch(records=records, position={"n": 1}, end=True)


def _run(monkeypatch: pytest.MonkeyPatch, producer: _FakeProducer, records: list[SourceRecord]) -> Runtime:
    monkeypatch.setattr(ClientFactory, "producer", lambda self, extra=None: producer)
    monkeypatch.setattr(_OneBatch, "records", records)
    monkeypatch.setattr(_OneBatch, "done", [])
    runtime = Runtime(
        _OneBatch, SimulatorConfig(), RuntimeConfig(region=REGION, shutdown_timeout_s=1), KafkaSettings()
    )
    runtime.dead_letters = DeadLetters(runtime.dead_letters.builder.topic, "one-batch", REGION, 200)
    return runtime


def _hit(**over: Any) -> SourceRecord:
    data = hit_data(region=REGION, **over)
    return SourceRecord(value=data, raw=repr(data).encode(), origin="file:0")


def test_a_record_kafka_refuses_is_dead_lettered_with_its_key_and_the_batch_completes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    producer = _FakeProducer(local=1_000_000, broker=300)  # the hit (390 bytes) is refused by the broker
    runtime = _run(monkeypatch, producer, [_hit(plate="川A12345")])
    report = runtime.run()
    (letter,) = producer.delivered
    headers = _headers(letter.headers())
    assert letter.topic() == runtime.dead_letters.builder.topic and letter.key() == "川A12345".encode()
    assert headers["rax.dlq.reason"] == b"too_large" and headers["rax.dlq.truncated"] == b"value"
    assert len(letter.value() or b"") == 200
    assert (
        report.rejected == 1
        and report.records_out == 0
        and _OneBatch.done == [headers["rax.dlq.error"].decode()]
    )


def test_a_dead_letter_kafka_refuses_is_replaced_by_its_stub(monkeypatch: pytest.MonkeyPatch) -> None:
    producer = _FakeProducer(local=100, broker=100)  # the hit and its 200-byte letter are both refused
    runtime = _run(
        monkeypatch, producer, [_hit(), SourceRecord(value=None, raw=b"y" * 5000, error="bad CSV")]
    )
    report = runtime.run()
    assert [m.value() for m in producer.delivered] == [None, None]
    stubs = [_headers(m.headers()) for m in producer.delivered]
    assert {h["rax.dlq.truncated"] for h in stubs} == {b"stub"}
    assert sorted(h["rax.dlq.original.size"] for h in stubs)[-1] == b"5000"
    assert {h["rax.dlq.reason"] for h in stubs} == {b"too_large", b"bad_source_record"}
    assert any(h["rax.dlq.error"].startswith(b"bad CSV (its dead letter was refused too") for h in stubs)
    assert report.rejected == 2 and len(_OneBatch.done) == 2


def test_a_refused_stub_is_fatal_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    producer = _FakeProducer(local=1_000_000, broker=-1)  # the DLQ takes nothing, not even a stub
    runtime = _run(monkeypatch, producer, [SourceRecord(value=None, raw=b"y", error="bad CSV")])
    with pytest.raises(FatalError, match="refused even a stub dead letter"):
        runtime.run()
    assert producer.delivered == [] and not producer.queued


def test_a_record_held_only_in_part_is_dead_lettered_with_the_size_and_digest_of_the_whole() -> None:
    whole = b"<alert>" + b"x" * 3000 + b"</alert>"
    original = Original(len(whole), hashlib.sha256(whole).hexdigest())
    letter, stub = DeadLetters(DLQ, "cap", REGION, max_value_bytes=100).letter(
        whole[:1001], "http:127.0.0.1", DlqReason.TOO_LARGE, "over the limit", original=original
    )
    headers = _headers(letter.headers)
    assert letter.value == whole[:100]
    assert headers["rax.dlq.original.size"] == str(len(whole)).encode()
    assert headers["rax.dlq.original.sha256"] == original.sha256.encode()  # type: ignore[union-attr]
    assert headers["rax.dlq.truncated"] == b"value"
    assert parse_dlq_headers(letter.headers).stage is DlqStage.PRODUCE
    small = _headers(stub("MSG_SIZE_TOO_LARGE").headers)
    assert (
        small["rax.dlq.truncated"] == b"stub" and small["rax.dlq.original.size"] == str(len(whole)).encode()
    )
    unread = DeadLetters(DLQ, "cap", REGION).letter(
        b"x" * 10, "o", DlqReason.TOO_LARGE, "e", original=Original(10, None)
    )
    assert "rax.dlq.original.size" not in _headers(unread[0].headers)  # the whole was never read: unknown


def test_the_run_report_lists_each_rejection_with_where_and_why(monkeypatch: pytest.MonkeyPatch) -> None:
    producer = _FakeProducer(local=1_000_000, broker=1_000_000)
    original = Original(5000, "ab" * 32)
    bad = [
        SourceRecord(
            value=None, raw=b"y" * 300, origin="wl.csv:120 (line 3)", error="bad CSV", original=original
        ),
        _hit(plate="not a plate"),
    ]
    report = _run(monkeypatch, producer, bad).run()
    assert report.rejected == 2 and report.rejections[0] == ("wl.csv:120 (line 3)", "bad CSV")
    assert report.rejections[1][0] == "file:0" and "plate" in report.rejections[1][1]
    first = _headers(producer.delivered[0].headers())
    assert first["rax.dlq.original.size"] == b"5000" and len(producer.delivered[0].value() or b"") == 200
