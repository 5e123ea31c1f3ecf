"""The centre sink's loop: read deliveries read-committed, POST each, commit offsets only after the answers.

Lifecycle: ``CentreSink(...).run(stop)`` until ``stop`` is set. A delivery is acknowledged to Kafka
(its offset committed) only after the centre answered 2xx or 409, so a crash re-sends at most the
deliveries of one batch, each with the same ``Idempotency-Key``: at least once, duplicates
recognisable. A sealed delivery is POSTed opened with the region's keys; one that does not open goes
to the centre DLQ as ``unopenable``. A 4xx other than 408/409/429 is the centre refusing this
delivery: it goes to the centre DLQ with the status and body, and the sink goes on. Anything else is
retried with back-off, forever, in order: a delivery is never skipped because the centre was down.

The consumer and the dead-letter producer come from ``streams.runtime.ClientFactory``, the dead letters
from ``streams.runtime.DeadLetterBuilder`` (the delivery's key and headers, its value up to a bound); a
dead letter Kafka refuses as too large is replaced by its stub, so a delivery is never retried forever.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from confluent_kafka import KafkaError, KafkaException, Message
from prometheus_client import CollectorRegistry, Counter, Histogram

from connectors.centre_sink.config import CentreSinkConfig
from connectors.centre_sink.logic import Verdict, opened_body, request_headers, verdict
from connectors.sdk.producer import ErrorClass, classify
from schemas.crypto import OpenError
from schemas.dlq import DlqReason, DlqStage
from schemas.kafka_settings import KafkaSettings
from schemas.sealed_delivery import PrivateKeyLookup
from schemas.topics import Catalogue
from streams.runtime import ClientFactory, DeadLetterBuilder, Outgoing

__all__ = ["CentreSink"]

log = logging.getLogger(__name__)


class CentreSink:
    """Pushes ``out(region)`` to one HTTP endpoint."""

    def __init__(
        self,
        settings: KafkaSettings,
        cat: Catalogue,
        region: str,
        config: CentreSinkConfig,
        registry: CollectorRegistry | None = None,
        name: str = "sink",
        keys: PrivateKeyLookup | None = None,
    ) -> None:
        self.cat, self.region, self.config, self.keys = cat, region, config, keys
        clients = ClientFactory(settings, f"centre-{name}@{region}")
        self._consumer = clients.consumer(f"{cat.region_group_prefix(region)}centre-{name}")
        self._dlq = clients.producer()
        self._letters = DeadLetterBuilder(cat.dlq("centre", region), "centre")
        self._dlq_failed: list[KafkaError] = []
        self._refused: list[Outgoing] = []  # stubs of dead letters Kafka refused, produced at the flush
        reg = registry or CollectorRegistry()
        self.sent = Counter(
            "rax_centre_sink_deliveries_total", "Deliveries by result.", ["result"], registry=reg
        )
        self.latency = Histogram("rax_centre_sink_post_seconds", "Time of one POST.", registry=reg)
        for result in ("done", "retry", "reject"):
            self.sent.labels(result)

    def run(self, stop: threading.Event) -> None:
        self._consumer.subscribe([self.cat.out(self.region)])
        try:
            while not stop.is_set():
                msgs = [m for m in self._consumer.consume(self.config.batch, 0.5) if not _skip(m)]
                for msg in msgs:
                    if not self._deliver(msg, stop):
                        return  # stopped while the centre was unreachable: nothing committed past it
                    self._consumer.store_offsets(message=msg)
                if msgs:
                    self._flush()
                    self._consumer.commit(asynchronous=False)
        finally:
            self._consumer.close()

    def _deliver(self, msg: Message, stop: threading.Event) -> bool:
        delivery_id = (msg.key() or b"").decode("utf-8", "replace")
        try:
            payload = opened_body(msg.value() or b"", self.keys)
        except OpenError as exc:  # never POSTed sealed nor skipped silently: the operator sees why
            self.sent.labels(Verdict.REJECT.value).inc()
            self._dead(msg, str(exc), DlqReason.UNOPENABLE, DlqStage.DECODE)
            return True
        backoff = self.config.retry_initial_s
        while True:
            status, body = self._post(payload, delivery_id)
            v = verdict(status)
            self.sent.labels(v.value).inc()
            if v is Verdict.DONE:
                return True
            if v is Verdict.REJECT:
                self._dead(msg, f"the centre answered {status}: {body[:500]!r}")
                return True
            log.warning(
                "centre endpoint answered %s for %s; retrying in %.1f s", status, delivery_id, backoff
            )
            if stop.wait(backoff):
                return False
            backoff = min(backoff * 2, self.config.retry_max_s)

    def _post(self, body: bytes, delivery_id: str) -> tuple[int | None, bytes]:
        token = self.config.token.get_secret_value() if self.config.token else None
        req = Request(
            str(self.config.url), data=body, method="POST", headers=request_headers(delivery_id, token)
        )
        t0 = time.monotonic()
        try:
            with urlopen(req, timeout=self.config.timeout_s) as resp:
                return int(resp.status), resp.read()
        except HTTPError as exc:
            return int(exc.code), exc.read()
        except (URLError, OSError) as exc:
            return None, str(exc).encode()
        finally:
            self.latency.observe(time.monotonic() - t0)

    def _dead(
        self,
        msg: Message,
        error: str,
        reason: DlqReason = DlqReason.REJECTED_BY_RECIPIENT,
        stage: DlqStage = DlqStage.PRODUCE,
    ) -> None:

        def stub(refusal: str) -> Outgoing:
            why = f"{error} (its dead letter was refused too: {refusal})"
            return self._letters.stub(msg, reason, stage, why)

        self._produce(self._letters.build(msg, reason, stage, error), stub)
        self._dlq.poll(0)

    def _produce(self, out: Outgoing, stub: Callable[[str], Outgoing] | None) -> None:
        """Produce a dead letter; if Kafka refuses it as too large, its ``stub`` goes instead."""

        def delivered(err: KafkaError | None, _msg: Message) -> None:
            if err is None:
                return
            if stub is not None and classify(err) is ErrorClass.BAD_RECORD:
                self._refused.append(stub(err.str()))  # produced by _flush, not from inside a callback
            else:
                self._dlq_failed.append(err)

        while True:
            try:
                self._dlq.produce(out.topic, out.value, out.key, headers=out.headers, on_delivery=delivered)
                return
            except BufferError:
                self._dlq.poll(0.1)
            except KafkaException as exc:  # over message.max.bytes: refused before it was sent
                if stub is None or classify(exc.args[0]) is not ErrorClass.BAD_RECORD:
                    raise
                out, stub = stub(exc.args[0].str()), None

    def _flush(self) -> None:
        """Wait until Kafka has every dead letter of the batch (or the stub standing for it)."""
        while True:
            if self._dlq.flush(30) or self._dlq_failed:
                raise RuntimeError(f"dead letters were not acknowledged by Kafka: {self._dlq_failed[:3]}")
            if not self._refused:
                return
            refused, self._refused = self._refused, []
            for out in refused:
                self._produce(out, None)


def _skip(msg: Message) -> bool:
    err = msg.error()
    if err is not None and err.code() != KafkaError._PARTITION_EOF:
        raise RuntimeError(f"reading deliveries: {err}")
    return err is not None
