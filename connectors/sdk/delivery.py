"""Delivery reports and dead letters: acks per batch, failures to retry, the DLQ or a fatal stop."""

from __future__ import annotations

from typing import Protocol

from confluent_kafka import KafkaError, Message

from connectors.sdk.positions import PendingBatch
from connectors.sdk.producer import ErrorClass, classify
from connectors.sdk.records import Done
from schemas.dlq import DeadLetter, DlqReason, DlqStage, dlq_headers

__all__ = ["Delivery", "DeliverySink", "Headers", "dead_letter"]

#: record headers as confluent-kafka takes and returns them
Headers = list[tuple[str, str | bytes | None]] | dict[str, str | bytes | None] | None
#: a dead letter's value is the raw record, cut to this size so the DLQ itself can always take it
MAX_DLQ_VALUE = 512 * 1024
_STAGE = {DlqReason.REGION_MISMATCH: DlqStage.VALIDATE, DlqReason.TOO_LARGE: DlqStage.PRODUCE}


def dead_letter(
    connector: str, region: str, raw: bytes, origin: str, reason: DlqReason, error: str
) -> tuple[bytes, list[tuple[str, str | bytes | None]]]:
    """The value and headers of a dead letter: the raw record, the ``rax.dlq.*`` set, where it came from."""
    if len(raw) > MAX_DLQ_VALUE:
        raw, error = raw[:MAX_DLQ_VALUE], f"{error} (dead-letter value cut to {MAX_DLQ_VALUE} bytes)"
    stage = DlqStage.SOURCE if reason is DlqReason.BAD_SOURCE_RECORD else _STAGE.get(reason, DlqStage.DECODE)
    letter = DeadLetter(reason=reason, stage=stage, component="connector", error=error)
    return raw, [
        ("rax.connector.name", connector.encode()),
        ("rax.connector.region", region.encode()),
        ("rax.connector.origin", origin.encode("utf-8", errors="replace")),
        *dlq_headers(letter),
    ]


class DeliverySink(Protocol):
    """What a delivery handler reports to (the runtime)."""

    def retry(self, msg: Message, handler: Delivery) -> None: ...
    def undeliverable(self, msg: Message, handler: Delivery, error: str) -> None: ...
    def fatal(self, err: KafkaError, topic: str | None) -> None: ...


class Delivery:
    """The delivery callback of one record (with ``on_done``) or of all pre-encoded records of a batch.

    librdkafka calls it from ``poll``/``flush`` on the runtime's thread, once per message.
    """

    __slots__ = ("dead_letter", "on_done", "pending", "reason", "sink")

    def __init__(
        self,
        sink: DeliverySink,
        pending: PendingBatch,
        on_done: Done | None = None,
        *,
        dead_letter: bool = False,
        reason: str | None = None,
    ) -> None:
        self.sink = sink
        self.pending = pending
        self.on_done = on_done
        self.dead_letter = dead_letter
        self.reason = reason  # for a dead letter: why its record was rejected, told to on_done

    def __call__(self, err: KafkaError | None, msg: Message) -> None:
        if err is None:
            self.acknowledged()
            return
        kind = classify(err)
        if kind is ErrorClass.RETRIABLE:
            self.sink.retry(msg, self)
        elif kind is ErrorClass.BAD_RECORD and not self.dead_letter:
            self.sink.undeliverable(msg, self, f"Kafka refused the record: {err.str()}")
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

    def settle(self) -> None:
        """The record will not be acknowledged: its dead letter, under another handler, stands for it."""
        self.pending.outstanding -= 1
