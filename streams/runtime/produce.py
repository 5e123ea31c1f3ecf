"""Producing inside a transaction: which errors belong to a record, and one output produced or stubbed.

An error that belongs to one record (too large, invalid) is the record's, not the cluster's: the loop
isolates the batch and dead-letters the record; an output refused at ``produce()`` is replaced at once by
a stub dead letter. A fatal error (librdkafka reports a fenced static member as ``_FATAL`` with
``fatal()`` false) makes the loop replace the client.
"""

from __future__ import annotations

import logging
import time

from confluent_kafka import KafkaError, KafkaException, Producer

from schemas.dlq import DlqReason, DlqStage
from streams.runtime.context import Context
from streams.runtime.deadletter import DeadLetterBuilder
from streams.runtime.records import Outgoing

__all__ = ["RECORD_ERRORS", "is_fatal", "produce_or_stub"]

log = logging.getLogger(__name__)

#: Errors that belong to one record, not to the cluster: the record is isolated, then dead-lettered.
RECORD_ERRORS = {
    KafkaError.MSG_SIZE_TOO_LARGE,
    KafkaError.INVALID_RECORD,
    KafkaError.INVALID_MSG,
    KafkaError.INVALID_MSG_SIZE,
    KafkaError.RECORD_LIST_TOO_LARGE,
}


def is_fatal(err: KafkaError) -> bool:
    """A fatal client error (librdkafka reports a fenced static member as ``_FATAL``, ``fatal()`` False)."""
    return bool(err.fatal()) or err.code() == KafkaError._FATAL


def produce_or_stub(
    producer: Producer, out: Outgoing, ctx: Context, dead_letters: DeadLetterBuilder, timeout_s: float
) -> None:
    """Produce ``out`` in the open transaction; waits (bounded) while the local queue is full, and puts a
    stub dead letter in place of an output the client refuses as a record error."""
    deadline = time.monotonic() + timeout_s
    part = -1 if out.partition is None else out.partition
    while True:
        try:
            producer.produce(out.topic, out.value, out.key, partition=part, headers=out.headers)
            return
        except BufferError:
            if time.monotonic() > deadline:
                raise KafkaException(KafkaError(KafkaError._TIMED_OUT, "local queue full")) from None
            producer.poll(0.05)
        except KafkaException as exc:
            if exc.args[0].code() not in RECORD_ERRORS or (
                out.topic == dead_letters.topic and out.value is None
            ):
                raise
            log.error("output to %s refused (%s): dead-lettered as a stub", out.topic, exc.args[0])
            ctx.dlq_counts[DlqReason.PROCESSING_ERROR.value] += 1
            out = dead_letters.stub(
                None,
                DlqReason.PROCESSING_ERROR,
                DlqStage.PRODUCE,
                f"an output to {out.topic} (key {out.key!r:.80}) could not be produced: {exc.args[0]}",
            )
            part = -1
