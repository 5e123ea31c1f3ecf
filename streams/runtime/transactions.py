"""The loop's transactions and their failures: the transactional producer, sending a batch's outputs,
store changes and offsets, committing, and what a failed transaction undoes (abort or replace the
producer, rewind, restore the stores it changed, isolate or back off).

A mixin of ``StreamLoop`` (``streams/runtime/loop.py``), kept apart so the loop reads as its turn: the
attributes below are the loop's, set in its ``__init__``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from streams.runtime.at_rest import RestProtection
from streams.runtime.bounded import GRACE_S, call_within
from streams.runtime.clients import ClientFactory
from streams.runtime.context import Context
from streams.runtime.deadletter import DeadLetterBuilder
from streams.runtime.metrics import RuntimeMetrics
from streams.runtime.processor import Processor
from streams.runtime.produce import RECORD_ERRORS, produce_or_stub
from streams.runtime.records import Outgoing
from streams.runtime.settings import RuntimeSettings
from streams.runtime.stores import Scope, Stores

__all__ = ["TransactionSteps"]

log = logging.getLogger("streams.runtime.loop")  # one logger for the loop, whichever half speaks


class TransactionSteps:
    """The transaction half of ``StreamLoop``."""

    processor: Processor
    settings: RuntimeSettings
    factory: ClientFactory
    transactional_id: str
    stores: Stores
    rest: RestProtection
    dead_letters: DeadLetterBuilder
    metrics: RuntimeMetrics
    _consumer: Consumer | None
    _producer: Producer | None
    _assigned: set[Scope]
    _to_restore: set[Scope]
    _isolate: dict[Scope, int]
    _failed: dict[tuple[str, int, int], int]
    _raised: dict[tuple[str, int, int], str]
    _delivery_errors: list[KafkaError]
    #: the open transaction's input offsets and the group metadata to send them with, until it commits
    _offsets_to_send: tuple[list[TopicPartition], Any] | None
    _backoff: float
    _stop: threading.Event

    def _new_producer(self, stop: threading.Event) -> Producer:
        """A transactional producer; retries (stop-responsive) while the cluster cannot be reached."""
        while True:
            try:
                return self.factory.transactional_producer(
                    self.transactional_id,
                    self.settings.transaction_timeout_ms,
                    self.settings.call_timeout_s,
                    {"compression.type": "lz4", "on_delivery": self._on_delivery},
                )
            except KafkaException as exc:
                if stop.is_set() or exc.args[0].fatal():
                    raise
                log.warning("cannot initialise transactions (%s); retrying", exc.args[0])
                stop.wait(2.0)

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self._delivery_errors.append(err)

    def _replace_producer(self, stop: threading.Event) -> None:
        self.metrics.transactions.labels(self.processor.name, "producer_replaced").inc()
        old, self._producer = self._producer, None
        if old is not None:
            try:
                old.purge()
                old.flush(0)
            except (KafkaException, RuntimeError):
                pass
        self._producer = self._new_producer(stop)

    def _record_caused(self, exc: KafkaException) -> bool:
        """Did a record (not the cluster) make the transaction fail? Its delivery reports say."""
        if self._producer is not None:
            self._producer.poll(0)  # serve the delivery reports of the failed transaction
        codes = {e.code() for e in self._delivery_errors} | {exc.args[0].code()}
        return bool(codes & RECORD_ERRORS)

    def _send(self, batch: Sequence[Message], ctx: Context) -> dict[Scope, int]:
        """Begin a transaction and send it everything: outputs, store changes, the batch's offsets."""
        assert self._producer is not None and self._consumer is not None
        producer = self._producer
        self._delivery_errors.clear()
        producer.begin_transaction()
        seal = self.rest.sealed  # the processors' own topics sealed at rest (a no-op without the key)
        for out in ctx.out:
            produce_or_stub(producer, seal(out), ctx, self.dead_letters, self.settings.call_timeout_s)
        ctx.written = self.stores.dirty_scopes()  # restored if this transaction fails
        produce = producer.produce
        for topic, part, key, value in self.stores.changes():
            # one per changed key, so most often one per record (the escalate worker's plates): produced
            # directly (0.8 µs against 1.7), and only a full queue or a refused record takes the long way
            try:
                produce(topic, value, key, part)
            except (BufferError, KafkaException):
                change = Outgoing(topic, key, value, None, part)
                produce_or_stub(producer, change, ctx, self.dead_letters, self.settings.call_timeout_s)
        self.stores.clean()  # sent: if the transaction fails, every store is restored from its changelog
        offsets: dict[Scope, int] = {}
        for m in batch:
            offsets[(m.topic() or "", m.partition() or 0)] = (m.offset() or 0) + 1
        if offsets:  # sent by ``_finish_commit``, with the group's membership as of now
            parts = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
            self._offsets_to_send = (parts, self._consumer.consumer_group_metadata())
        return offsets

    def _finish_commit(self) -> None:
        """Send the batch's offsets to the open transaction and commit it (on the commit thread when
        overlapping: both wait on the brokers, round trips the next batch is processed during)."""
        producer = self._producer
        assert producer is not None
        pending, self._offsets_to_send = self._offsets_to_send, None
        timeout = self.settings.call_timeout_s
        if pending is not None:
            parts, group = pending
            call_within(
                "send_offsets_to_transaction",
                lambda: producer.send_offsets_to_transaction(parts, group, timeout),
                timeout + GRACE_S,
                self._stop,
            )
        producer.commit_transaction(timeout)

    def _failed_batch(
        self,
        batch: Sequence[Message],
        stop: threading.Event,
        exc: Exception,
        record_caused: bool,
        later: Sequence[Message] = (),
        written: set[Scope] | None = None,
        raised: str | None = None,
    ) -> None:
        """Abort (or replace the producer), rewind (``batch``, then ``later``: consumed after it), restore
        the stores the transaction changed (``written``: those it sent; those changed since and not sent
        yet; and those of the records' partitions; timers' may touch any), and isolate ``batch``'s
        records or back off. ``raised``: what the processor raised (not Kafka), kept for a lone record's
        dead letter."""
        err = exc.args[0] if isinstance(exc, KafkaException) else None
        log.warning("transaction of %d records failed: %s", len(batch), err or exc)
        self._offsets_to_send = None  # never carried into the next transaction
        if isinstance(exc, KafkaException):
            self.metrics.transactions.labels(self.processor.name, "aborted").inc()
            self._abort(err, stop)
        self._rewind([*batch, *later])
        touched = {(m.topic() or "", m.partition() or 0) for m in [*batch, *later]}
        touched = (touched | (written or set()) | self.stores.dirty_scopes()) & self._assigned
        if batch:  # partitions the batch did not touch keep their state: a rebalance pauses only its own
            self._restore_scopes(touched)
        else:
            self._restore_everything()
        if record_caused and batch:
            if len(batch) == 1:
                m = batch[0]
                where = (m.topic() or "", m.partition() or 0, m.offset() or 0)
                self._failed[where] = self._failed.get(where, 0) + 1
                if raised is not None:
                    self._raised[where] = raised
            for m in batch:
                scope = (m.topic() or "", m.partition() or 0)
                self._isolate[scope] = max(self._isolate.get(scope, -1), m.offset() or 0)
            return
        self._backoff = min(5.0, max(0.25, self._backoff * 2))
        stop.wait(self._backoff)

    def _abort(self, err: KafkaError | None, stop: threading.Event) -> None:
        assert self._producer is not None
        if err is not None and (err.fatal() or (not err.txn_requires_abort() and not err.retriable())):
            self._replace_producer(stop)
            return
        try:
            self._producer.abort_transaction(self.settings.call_timeout_s)
        except KafkaException as abort_exc:
            log.warning("abort failed (%s): replacing the producer", abort_exc.args[0])
            self._replace_producer(stop)

    def _rewind(self, batch: Sequence[Message], only: set[Scope] | None = None) -> None:
        """Seek each partition of ``batch`` back to its first record in it (all before it is committed)."""
        assert self._consumer is not None
        first: dict[Scope, int] = {}
        for m in batch:
            scope = (m.topic() or "", m.partition() or 0)
            if (only is None or scope in only) and scope in self._assigned and scope not in first:
                first[scope] = m.offset() or 0
        for (topic, part), offset in first.items():
            try:
                self._consumer.seek(TopicPartition(topic, part, offset))
            except KafkaException as exc:
                log.warning("seek %s[%d] to %d failed: %s", topic, part, offset, exc)

    def _restore_everything(self) -> None:
        self._restore_scopes(set(self._assigned))

    def _restore_scopes(self, scopes: set[Scope]) -> None:
        """Drop the state of ``scopes``: the next turn restores it from the changelogs."""
        for scope in scopes:
            self.stores.drop(scope)
            self.processor.revoked(scope)
        self._to_restore |= scopes
