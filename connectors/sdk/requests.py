"""Publishing a region's cooperation requests and answers (协查) from an integrator's own system.

A case-management system that raises requests, or a command centre that answers them, hands its
records to ``RequestPublisher``: it validates each one as a record of ``RecordKind.REQUESTS`` (the
wire model; the region inside must be the publisher's), writes it to the region's own requests topic
keyed by the request id, with the region's MAC when a key file is given, and waits until Kafka has it.

Lifecycle: built with a producer the caller owns (``ClientFactory.producer()``: idempotent,
``acks=all``); ``publish`` may be called any number of times; the caller flushes and drops the producer.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import Producer

from connectors.sdk.macs import RecordMacs
from connectors.sdk.records import RecordKind
from connectors.sdk.signatures import BatchSigner, single_record_headers
from connectors.sdk.validate import topic_for, validate
from schemas.requests import CooperationRequest, RequestAnswer
from schemas.topics import Catalogue

__all__ = ["RequestPublisher"]


class RequestPublisher:
    """Publishes ``region``'s requests and answers on ``rax.in.<region>.requests``."""

    def __init__(
        self,
        producer: Producer,
        catalogue: Catalogue,
        region: str,
        macs: RecordMacs | None = None,
        signer: BatchSigner | None = None,
    ) -> None:
        self._producer = producer
        self._region = region
        self._topic = topic_for(catalogue, RecordKind.REQUESTS, region)
        self._macs, self._signer = macs, signer
        if macs is not None:
            macs.load()

    def publish(self, message: CooperationRequest | RequestAnswer, timeout: float = 30.0) -> None:
        """Validate, produce and wait for Kafka's acknowledgement; raises ``Rejection`` for a record
        that is not the region's own, ``RuntimeError`` when Kafka did not take it in ``timeout``."""
        out = validate(RecordKind.REQUESTS, message.model_dump_json().encode(), self._region)
        headers = single_record_headers(self._macs, self._signer, self._topic, out.key, out.value)
        errors: list[Any] = []
        self._producer.produce(
            self._topic,
            out.value,
            out.key,
            headers=headers,
            on_delivery=lambda err, _msg: errors.append(err) if err else None,
        )
        if self._producer.flush(timeout) or errors:
            raise RuntimeError(f"{self._topic} did not take the record: {errors or 'timed out'}")
