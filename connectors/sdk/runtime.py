"""The connector runtime: runs one source into Kafka and owns the producer, positions, DLQ and metrics.

The producer comes from ``streams.runtime.ClientFactory`` (the one place clients are built) and the dead
letters from ``streams.runtime.DeadLetterBuilder`` (through ``delivery.DeadLetters``).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from prometheus_client import CollectorRegistry, start_http_server
from pydantic import BaseModel

from connectors.sdk.config import RuntimeConfig
from connectors.sdk.delivery import DeadLetters, DeliveryReport, Headers
from connectors.sdk.errors import FatalError, SourceUnavailable
from connectors.sdk.macs import RecordMacs
from connectors.sdk.metrics import connector_metrics
from connectors.sdk.positions import PendingBatch, PositionStore, Watermark
from connectors.sdk.producer import ErrorClass, batching, classify, fatal_hint
from connectors.sdk.records import Batch, Original, RecordKind, SourceRecord
from connectors.sdk.signatures import BatchSigner
from connectors.sdk.source import Source, SourceContext
from connectors.sdk.validate import Rejection, Validated, topic_for, validate
from schemas.dlq import DlqReason
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory, Outgoing

__all__ = ["MAX_REPORTED_REJECTIONS", "RunReport", "Runtime"]

#: How many rejections a run report lists (all are counted, and all are in the DLQ).
MAX_REPORTED_REJECTIONS = 1000


@dataclass
class RunReport:
    """What a finished run did (records read, acknowledged, rejected) and where the metrics were.

    ``rejections`` lists the first ``MAX_REPORTED_REJECTIONS`` rejected records as (origin, reason), so a
    one-shot load can tell its user which lines were refused and why.
    """

    records_in: int = 0
    records_out: int = 0
    rejected: int = 0
    metrics_port: int | None = None
    rejections: list[tuple[str, str]] = field(default_factory=list)


class Runtime:
    """Runs one source until ``request_stop`` (SIGTERM), source exhaustion, or a fatal error.

    Built with the source class, its config and the process settings; ``run()`` blocks, and on the way
    out stops the source, flushes the producer and stores the last acknowledged position.
    """

    def __init__(
        self,
        source_cls: type[Source[Any]],
        source_config: BaseModel,
        runtime: RuntimeConfig,
        kafka: KafkaSettings,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.cfg = runtime
        self.name = source_cls.name
        self.kind = source_cls.kind
        self.region = runtime.region
        catalogue = Catalogue(runtime.namespace)
        self.topic = topic_for(catalogue, self.kind, self.region)
        self.dead_letters = DeadLetters(catalogue.dlq("connector", self.region), self.name, self.region)
        source_id = runtime.source_id or f"{self.name}@{self.region}"
        self.log = logging.getLogger(f"connectors.{self.name}")
        self.context = SourceContext(region=self.region, source_id=source_id, logger=self.log)
        self.source = source_cls(source_config, self.context)
        self.registry = registry if registry is not None else CollectorRegistry()
        self.metrics = connector_metrics(self.registry, self.name, self.region)
        self.store = PositionStore(runtime.state_dir)
        self.watermark = Watermark()
        self.report = RunReport()
        self._clients = ClientFactory(kafka, source_id)
        self._producer: Producer | None = None
        self._fatal: FatalError | None = None
        self._retries: deque[tuple[float, Message, DeliveryReport]] = deque()
        self._backoff = 0.0
        self._last_save = 0.0
        self._unsaved: dict[str, Any] | None = None
        self._sampled = 0
        self.macs = RecordMacs(runtime.mac_key_file, self.region) if runtime.mac_key_file else None
        self.signer = (
            BatchSigner(runtime.sign_key_store, self.region, runtime.sign_batch_max)
            if runtime.sign_key_store
            else None
        )

    def request_stop(self) -> None:
        """Ask ``run`` to finish: safe from a signal handler or another thread."""
        self.context.stopping.set()

    # ---- the loop ----------------------------------------------------------------------------------
    def run(self) -> RunReport:
        """Run to the end; raises ``FatalError`` (after flushing what can be flushed)."""
        if self.macs is not None:
            self.macs.load()
        if self.signer is not None:
            self.signer.load()
        extra = {**batching(self.cfg), "error_cb": self._client_error}
        self._producer = self._clients.producer(extra)
        server = None
        if self.cfg.metrics_port is not None:
            server, _ = start_http_server(self.cfg.metrics_port, self.cfg.metrics_host, self.registry)
            self.report.metrics_port = server.server_port
            self.log.info("metrics on http://%s:%d/metrics", self.cfg.metrics_host, server.server_port)
        try:
            self.source.setup(self.store.load())
            self._loop()
        finally:
            try:
                self.source.stop()
            finally:
                self._drain()
                self._producer = None  # librdkafka's handle is destroyed with the object
                if server is not None:
                    server.shutdown()
                    server.server_close()
        if self._fatal is not None:
            raise self._fatal
        return self.report

    def _loop(self) -> None:
        producer = self._producer
        assert producer is not None
        stopping, pressure = self.context.stopping, self.context.backpressure
        while not stopping.is_set() and self._fatal is None:
            producer.poll(0)
            self._retry_due()
            self._advance()
            depth = len(producer)
            self.metrics.queue_depth.set(depth)
            if depth >= self.cfg.max_in_flight_records:
                pressure.set()
                producer.poll(0.05)
                continue
            if pressure.is_set() and depth < self.cfg.max_in_flight_records // 2:
                pressure.clear()
            try:
                batch = self.source.poll(self.cfg.poll_timeout_s)
            except SourceUnavailable as exc:
                self._backoff = min(self.cfg.retry_backoff_max_s, max(0.5, self._backoff * 2))
                self.log.warning("source unavailable, retrying in %.1f s: %s", self._backoff, exc)
                stopping.wait(self._backoff)
                continue
            self._send(batch)
            if batch.end:
                self.log.info("source exhausted")
                return

    def _drain(self) -> None:
        """Flush everything (retrying retriable failures) and store the final position."""
        producer = self._producer
        if producer is None:
            return
        deadline = time.monotonic() + self.cfg.shutdown_timeout_s
        while (len(producer) or self._retries) and self._fatal is None and time.monotonic() < deadline:
            producer.flush(0.5)
            self._retry_due(force=True)
        self._advance(force_save=True)
        left = len(producer) + len(self._retries)
        if left and self._fatal is None:
            self._fatal = FatalError(
                f"{left} record(s) not acknowledged within {self.cfg.shutdown_timeout_s} s of stopping",
                "check that the brokers are reachable; a restart sends them again, with the same event ids",
            )

    # ---- producing ---------------------------------------------------------------------------------
    def _send(self, batch: Batch) -> None:
        pending = PendingBatch(position=batch.position, outstanding=len(batch), started=time.monotonic())
        self.watermark.add(pending)
        if batch.dropped:
            self.metrics.dropped.inc(batch.dropped)
        if not len(batch):
            return
        self.metrics.records_in.inc(len(batch))
        self.report.records_in += len(batch)
        if self.macs is not None:
            self.macs.refresh()
        if self.signer is not None:
            self._send_signed(self.signer, batch, pending)
            return
        for rec in batch.records:
            self._send_record(rec, pending)
        if batch.encoded:
            self._send_encoded(batch, pending)

    def _validated(self, rec: SourceRecord, pending: PendingBatch) -> Validated | None:
        """The record ready to produce, or None when it was dead-lettered instead."""
        if rec.error is not None or rec.value is None:
            error = rec.error or "empty record"
            self._dead_letter(
                rec.raw, rec.origin, rec.reason, error, pending, rec.on_done, original=rec.original
            )
            return None
        try:
            return validate(self.kind, rec.value, self.region)
        except Rejection as exc:
            self._dead_letter(
                rec.raw, rec.origin, exc.reason, str(exc), pending, rec.on_done, original=rec.original
            )
            return None

    def _send_record(self, rec: SourceRecord, pending: PendingBatch) -> None:
        out = self._validated(rec, pending)
        if out is None:
            return
        headers = self.macs.headers(self.topic, out.key, out.value) if self.macs is not None else None
        self._produce(self.topic, out.key, out.value, headers, DeliveryReport(self, pending, rec.on_done))

    def _check_sample(self, encoded: Sequence[tuple[bytes, bytes]]) -> None:
        """Decode one in ``validate_sample`` records a source encoded itself, across batches."""
        sample = self.cfg.validate_sample
        first = (sample - self._sampled - 1) % sample
        for _, value in encoded[first::sample]:
            try:
                validate(self.kind, value, self.region)
            except Rejection as exc:
                raise FatalError(
                    f"{self.name} generated an invalid record: {exc}", "a bug in the connector"
                ) from None
        self._sampled = (self._sampled + len(encoded)) % sample

    def _send_encoded(self, batch: Batch, pending: PendingBatch) -> None:
        encoded = batch.encoded
        self._check_sample(encoded)
        handler, topic = DeliveryReport(self, pending), self.topic
        produce = self._producer.produce  # type: ignore[union-attr]
        if self.macs is not None:
            macs = self.macs
            for key, value in encoded:
                headers = macs.headers(topic, key, value)
                try:
                    produce(topic, value, key, headers=headers, on_delivery=handler)
                except BufferError:
                    self._produce(topic, key, value, headers, handler)
            return
        for key, value in encoded:  # the hot loop: nothing but produce
            try:
                produce(topic, value, key, on_delivery=handler)
            except BufferError:
                self._produce(topic, key, value, None, handler)

    def _send_signed(self, signer: BatchSigner, batch: Batch, pending: PendingBatch) -> None:
        """Validate the whole batch, then sign what is to be produced (alerts signed themselves first,
        the MAC over the final bytes) and produce it with its signature headers."""
        signer.refresh()
        topic = self.topic
        ready: list[tuple[bytes, bytes, DeliveryReport]] = []
        for rec in batch.records:
            out = self._validated(rec, pending)
            if out is not None:
                value = signer.sign_alert(out.value) if self.kind is RecordKind.ALERTS else out.value
                ready.append((out.key, value, DeliveryReport(self, pending, rec.on_done)))
        if batch.encoded:
            self._check_sample(batch.encoded)
            handler = DeliveryReport(self, pending)
            if self.kind is RecordKind.ALERTS:
                ready += [(k, signer.sign_alert(v), handler) for k, v in batch.encoded]
            else:
                ready += [(k, v, handler) for k, v in batch.encoded]
        if not ready:
            return
        signatures = signer.headers([(topic, key, value) for key, value, _ in ready])
        macs = self.macs
        for (key, value, handler), sig in zip(ready, signatures, strict=True):
            headers: Headers = [*macs.headers(topic, key, value), *sig] if macs is not None else [*sig]
            self._produce(topic, key, value, headers, handler)

    def _produce(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Headers, cb: DeliveryReport
    ) -> None:
        producer = self._producer
        assert producer is not None
        while True:
            try:
                producer.produce(topic, value, key, headers=headers, on_delivery=cb)
                return
            except BufferError:
                # the local queue is full: this is the backpressure, wait for deliveries to free it
                self.context.backpressure.set()
                producer.poll(0.05)
            except KafkaException as exc:
                err: KafkaError = exc.args[0]
                if classify(err) is ErrorClass.BAD_RECORD:  # over message.max.bytes: refused at once
                    self._refused(key, value, headers, cb, f"Kafka refused the record: {err.str()}")
                    return
                self.fatal(err, topic)
                raise self._fatal from None  # type: ignore[misc]

    def _dead_letter(
        self,
        raw: bytes | None,
        origin: str,
        reason: DlqReason,
        error: str,
        pending: PendingBatch,
        on_done: Any,
        *,
        key: bytes | None = None,
        headers: Headers = None,
        original: Original | None = None,
    ) -> None:
        """Produce the dead letter of a record; it stands for the record in ``pending``."""
        self.metrics.reject(reason)
        self.report.rejected += 1
        if len(self.report.rejections) < MAX_REPORTED_REJECTIONS:
            self.report.rejections.append((origin, error))
        self.log.info("rejected %s: %s", origin or "record", error)
        letter, stub = self.dead_letters.letter(
            raw, origin, reason, error, key=key, headers=headers, original=original
        )
        handler = DeliveryReport(self, pending, on_done, dead_letter=True, reason=error, stub=stub)
        self._produce_out(letter, handler)

    def _produce_out(self, out: Outgoing, handler: DeliveryReport) -> None:
        self._produce(out.topic, out.key, out.value, out.headers, handler)

    # ---- delivery outcomes (DeliverySink) -------------------------------------------------------------
    def retry(self, msg: Message, handler: DeliveryReport) -> None:
        self._backoff = min(self.cfg.retry_backoff_max_s, max(0.5, self._backoff * 2))
        self.metrics.delivery_retries.inc()
        self._retries.append((time.monotonic() + self._backoff, msg, handler))

    def refused(self, msg: Message, handler: DeliveryReport, error: str) -> None:
        self._refused(msg.key(), msg.value(), msg.headers(), handler, error)

    def _refused(
        self, key: bytes | None, value: bytes | None, headers: Headers, handler: DeliveryReport, error: str
    ) -> None:
        """Kafka refused a record for what it is (too large): dead-letter it; a refused letter, as a stub.

        The record's handler is never called for it again: the letter (or stub) stands for it in its
        batch, so the position still advances past it once the letter is acknowledged. A refused stub
        (no value, a few headers) means the DLQ topic itself is misconfigured: fatal, never a retry loop.
        """
        if not handler.dead_letter:
            self._dead_letter(
                value,
                "",
                DlqReason.TOO_LARGE,
                error,
                handler.pending,
                handler.on_done,
                key=key,
                headers=headers,
            )
        elif handler.stub is not None:
            self.log.warning("a dead letter was refused (%s): producing its stub instead", error)
            stub = DeliveryReport(
                self, handler.pending, handler.on_done, dead_letter=True, reason=handler.reason
            )
            self._produce_out(handler.stub(error), stub)
        else:
            self._stop(
                FatalError(
                    f"{self.dead_letters.builder.topic} refused even a stub dead letter: {error}",
                    "check the dead-letter topic's max.message.bytes and that this identity may write it",
                )
            )

    def fatal(self, err: KafkaError, topic: str | None) -> None:
        self._stop(FatalError(f"Kafka error {err.name()}: {err.str()}", fatal_hint(err, topic)))

    def _stop(self, error: FatalError) -> None:
        if self._fatal is None:
            self._fatal = error
            self.log.error("fatal: %s", self._fatal)
        self.context.stopping.set()

    def _client_error(self, err: KafkaError) -> None:
        if classify(err) is ErrorClass.FATAL:
            self.fatal(err, None)
        else:
            self.log.warning("kafka: %s", err.str())

    def _retry_due(self, force: bool = False) -> None:
        now = time.monotonic()
        while self._retries and (force or self._retries[0][0] <= now):
            _, msg, handler = self._retries.popleft()
            self._produce(msg.topic() or self.topic, msg.key(), msg.value() or b"", msg.headers(), handler)

    # ---- positions -----------------------------------------------------------------------------------
    def _advance(self, force_save: bool = False) -> None:
        position, completed = self.watermark.advance()
        for pending in completed:
            self.metrics.records_out.inc(pending.acked)
            self.report.records_out += pending.acked
            if pending.acked:
                self.metrics.produce_latency.observe(time.monotonic() - pending.started)
                self._backoff = 0.0
        if position is not None:
            self._unsaved = position
        now = time.monotonic()
        if self._unsaved is not None and (
            force_save or now - self._last_save >= self.cfg.position_flush_ms / 1000
        ):
            saved, self._unsaved, self._last_save = self._unsaved, None, now
            self.store.save(saved)
            self.metrics.position_stored.set_to_current_time()
            self.source.commit(saved)
