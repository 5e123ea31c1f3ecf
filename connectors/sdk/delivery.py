"""Delivery reports and dead letters: acks per batch, failures to retry, the DLQ (or a stub), fatal stops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from confluent_kafka import KafkaError, Message

from connectors.sdk.positions import PendingBatch
from connectors.sdk.producer import ErrorClass, classify
from connectors.sdk.records import Done, Original
from schemas.dlq import ORIGINAL_SHA256, ORIGINAL_SIZE, TRUNCATED, DlqReason, DlqStage
from streams.runtime import DeadLetterBuilder, Outgoing

__all__ = ["MAX_DLQ_VALUE", "DeadLetters", "DeliveryReport", "DeliverySink", "Headers", "Stub"]

#: record headers as confluent-kafka takes and returns them
Headers = list[tuple[str, str | bytes | None]] | dict[str, str | bytes | None] | None
#: a dead letter carries at most this much of the raw record (far below the producer's 1 MB limit)
MAX_DLQ_VALUE = 512 * 1024
#: the stub dead letter to produce instead of a refused one, given why Kafka refused it
Stub = Callable[[str], Outgoing]
_STAGE = {
    DlqReason.BAD_SOURCE_RECORD: DlqStage.SOURCE,
    DlqReason.REGION_MISMATCH: DlqStage.VALIDATE,
    DlqReason.TOO_LARGE: DlqStage.PRODUCE,
}


class _Unsent:
    """A record that never reached Kafka, shaped as ``DeadLetterBuilder`` reads one: no source position."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes | None) -> None:
        self._value = value

    def topic(self) -> str | None:
        return None

    def partition(self) -> int | None:
        return None

    def offset(self) -> int | None:
        return None

    def key(self) -> bytes | None:
        return None

    def value(self) -> bytes | None:
        return self._value

    def headers(self) -> Any:
        return None

    def timestamp(self) -> tuple[int, int]:
        return (0, 0)


class DeadLetters:
    """The dead letters of one connector: ``DeadLetterBuilder``'s, with the connector's context headers.

    A letter keeps the rejected record's key and headers and its raw bytes up to ``MAX_DLQ_VALUE``
    (size and SHA-256 of the original in headers when cut); ``rax.connector.name``, ``…region`` and
    ``…origin`` go before the record's own headers. With each letter comes its stub, produced instead
    when Kafka refuses even the letter. A record the source held only the first bytes of (``original``)
    gets the original's size and digest instead of those of the bytes it kept.
    """

    def __init__(self, topic: str, connector: str, region: str, max_value_bytes: int = MAX_DLQ_VALUE) -> None:
        self.builder = DeadLetterBuilder(topic, "connector", max_value_bytes)
        self.context = [("rax.connector.name", connector.encode()), ("rax.connector.region", region.encode())]

    def letter(
        self,
        raw: bytes | None,
        origin: str,
        reason: DlqReason,
        error: str,
        *,
        key: bytes | None = None,
        headers: Headers = None,
        original: Original | None = None,
    ) -> tuple[Outgoing, Stub]:
        """The dead letter of a record and the stub that stands for it if Kafka refuses the letter."""
        stage = _STAGE.get(reason, DlqStage.DECODE)
        own: list[tuple[str, str | bytes | None]] = [
            *self.context,
            ("rax.connector.origin", origin.encode("utf-8", errors="replace")),
            *(headers.items() if isinstance(headers, dict) else headers or ()),
        ]
        if original is not None and raw is not None:
            raw = raw[: self.builder.max_value_bytes]  # the builder cuts nothing more: the size is ours
        letter = self.builder.build(None, reason, stage, error, key=key, value=raw, headers=own)
        if original is not None:
            letter.headers = [*(letter.headers or ()), *_original_headers(original, b"value")]

        def stub(refusal: str) -> Outgoing:
            why = f"{error} (its dead letter was refused too: {refusal})"
            if original is None:
                return self.builder.stub(_Unsent(raw), reason, stage, why)
            out = self.builder.stub(None, reason, stage, why)
            kept = [(n, v) for n, v in out.headers or () if n != TRUNCATED]
            out.headers = [*kept, *_original_headers(original, b"stub")]
            return out

        return letter, stub


def _original_headers(original: Original, truncated: bytes) -> list[tuple[str, str | bytes | None]]:
    out: list[tuple[str, str | bytes | None]] = [(TRUNCATED, truncated)]
    if original.sha256 is not None:
        out += [(ORIGINAL_SIZE, str(original.size).encode()), (ORIGINAL_SHA256, original.sha256.encode())]
    return out


class DeliverySink(Protocol):
    """What a delivery handler reports to (the runtime)."""

    def retry(self, msg: Message, handler: DeliveryReport) -> None: ...
    def refused(self, msg: Message, handler: DeliveryReport, error: str) -> None: ...
    def fatal(self, err: KafkaError, topic: str | None) -> None: ...


class DeliveryReport:
    """The delivery callback of one record (with ``on_done``) or of all pre-encoded records of a batch.

    librdkafka calls it from ``poll``/``flush`` on the runtime's thread, once per message. For a dead
    letter, ``reason`` is why its record was rejected (told to ``on_done``) and ``stub`` what to produce
    instead if Kafka refuses the letter; a stub's own handler has no ``stub``.
    """

    __slots__ = ("dead_letter", "on_done", "pending", "reason", "sink", "stub")

    def __init__(
        self,
        sink: DeliverySink,
        pending: PendingBatch,
        on_done: Done | None = None,
        *,
        dead_letter: bool = False,
        reason: str | None = None,
        stub: Stub | None = None,
    ) -> None:
        self.sink = sink
        self.pending = pending
        self.on_done = on_done
        self.dead_letter = dead_letter
        self.reason = reason
        self.stub = stub

    def __call__(self, err: KafkaError | None, msg: Message) -> None:
        if err is None:
            self.acknowledged()
            return
        kind = classify(err)
        if kind is ErrorClass.RETRIABLE:
            self.sink.retry(msg, self)
        elif kind is ErrorClass.BAD_RECORD:
            self.sink.refused(msg, self, f"Kafka refused the record: {err.str()}")
        else:
            self.sink.fatal(err, msg.topic())

    def acknowledged(self) -> None:
        """One record of the batch is safely in Kafka (or its dead letter is)."""
        pending = self.pending
        pending.outstanding -= 1
        if not self.dead_letter:
            pending.acked += 1
        if self.on_done is not None:
            self.on_done(self.reason if self.dead_letter else None)
