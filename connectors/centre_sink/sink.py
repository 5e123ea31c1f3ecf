"""The centre sink's loop: read deliveries read-committed, POST each, commit offsets only after the answers.

Lifecycle: ``CentreSink(...).run(stop)`` until ``stop`` is set. A delivery is acknowledged to Kafka
(its offset committed) only after the centre answered 2xx or 409, so a crash re-sends at most the
deliveries of one batch, each with the same ``Idempotency-Key``: at least once, duplicates
recognisable. A 4xx other than 408/409/429 is the centre refusing this delivery: it goes to the
centre DLQ with the status and body, and the sink goes on. Anything else is retried with back-off,
forever, in order: a delivery is never skipped because the centre was down.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from confluent_kafka import Consumer, KafkaError, Message, Producer
from prometheus_client import CollectorRegistry, Counter, Histogram

from connectors.centre_sink.config import CentreSinkConfig
from connectors.centre_sink.logic import Verdict, request_headers, verdict
from schemas.dlq import DeadLetter, DlqReason, DlqStage, dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue

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
    ) -> None:
        self.cat, self.region, self.config = cat, region, config
        self._consumer = Consumer(
            {
                **settings.client_config(),
                "group.id": f"{cat.region_group_prefix(region)}centre-{name}",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        self._dlq = Producer({**settings.client_config(), "enable.idempotence": True, "acks": "all"})
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
                if msgs:
                    if self._dlq.flush(30):
                        raise RuntimeError("dead letters were not acknowledged by Kafka")
                    self._consumer.commit(asynchronous=False)
        finally:
            self._consumer.close()

    def _deliver(self, msg: Message, stop: threading.Event) -> bool:
        delivery_id = (msg.key() or b"").decode("utf-8", "replace")
        backoff = self.config.retry_initial_s
        while True:
            status, body = self._post(msg.value() or b"", delivery_id)
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

    def _dead(self, msg: Message, error: str) -> None:
        letter = DeadLetter(
            reason=DlqReason.REJECTED_BY_RECIPIENT,
            stage=DlqStage.PRODUCE,
            component="centre",
            error=error,
            source_topic=msg.topic(),
            source_partition=msg.partition(),
            source_offset=msg.offset(),
        )
        headers: list[tuple[str, str | bytes | None]] = list(dlq_headers(letter))
        self._dlq.produce(self.cat.dlq("centre"), msg.value(), msg.key(), headers=headers)
        self._dlq.poll(0)


def _skip(msg: Message) -> bool:
    err = msg.error()
    if err is not None and err.code() != KafkaError._PARTITION_EOF:
        raise RuntimeError(f"reading deliveries: {err}")
    return err is not None
