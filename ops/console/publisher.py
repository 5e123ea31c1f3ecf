"""Publishes the officers' answers, alerts, operation closes and cooperation requests as the region."""

from __future__ import annotations

from pathlib import Path

from confluent_kafka import Producer

from connectors.sdk import FatalError
from connectors.sdk.macs import RecordMacs
from connectors.sdk.requests import RequestPublisher
from connectors.sdk.signatures import BatchSigner, single_record_headers
from connectors.sdk.validate import Rejection
from schemas.acks import Acknowledgement
from schemas.alerts import Alert
from schemas.codec import encode
from schemas.kafka_settings import KafkaSettings
from schemas.operation import OperationClose
from schemas.requests import CooperationRequest, RequestAnswer
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

__all__ = ["PublishError", "Publisher"]


class PublishError(RuntimeError):
    """Kafka did not take the record (broker down, no authorisation): the officer is told to retry."""


class Publisher:
    """One idempotent producer for the console's life; each send waits until Kafka has the record.

    Lifecycle: build once, ``ack`` / ``alert`` / ``close`` from worker threads, ``stop`` at the end.
    ``mac_key``: the region's MAC key file; records then carry ``rax.mac`` as a connector's do.
    ``sign_keys``: the region's key store; records then carry its batch signature (``rax.sig``) and
    alerts its region signature, as a connector's do.
    """

    def __init__(
        self,
        settings: KafkaSettings,
        cat: Catalogue,
        region: str,
        mac_key: Path | None = None,
        sign_keys: Path | None = None,
    ) -> None:
        self.cat, self.region = cat, region
        self._macs: RecordMacs | None = None
        self._signer: BatchSigner | None = None
        try:
            if mac_key is not None:
                self._macs = RecordMacs(mac_key, region)
                self._macs.load()
            if sign_keys is not None:
                self._signer = BatchSigner(sign_keys, region)
                self._signer.load()
        except FatalError as exc:
            raise PublishError(str(exc)) from None
        self._producer: Producer = ClientFactory(settings, f"console-send@{region}").producer(
            {"linger.ms": 0, "message.timeout.ms": 15000}
        )

    def ack(self, ack: Acknowledgement) -> None:
        self._send(self.cat.in_acks(self.region), ack.delivery_id.encode(), encode(ack))

    def alert(self, alert: Alert) -> None:
        value = encode(alert)
        if self._signer is not None:  # the issuing region's signature, end to end
            self._signer.refresh()
            value = self._signer.sign_alert(value)
        self._send(self.cat.in_alerts(self.region), alert.identifier.encode(), value)

    def close(self, cmd: OperationClose) -> None:
        self._send(self.cat.in_operations(self.region), cmd.operation_id.encode(), encode(cmd))

    def request(self, message: CooperationRequest | RequestAnswer) -> None:
        """A request or an answer, through the connector SDK's publisher (validated as the region's own)."""
        try:
            publisher = RequestPublisher(self._producer, self.cat, self.region, self._macs, self._signer)
            publisher.publish(message, 20)
        except (RuntimeError, Rejection) as exc:
            raise PublishError(str(exc)) from None

    def _send(self, topic: str, key: bytes, value: bytes) -> None:
        headers = single_record_headers(self._macs, self._signer, topic, key, value)
        errors: list[object] = []
        self._producer.produce(
            topic,
            value,
            key,
            headers=headers,
            on_delivery=lambda err, _m: errors.append(err) if err else None,
        )
        if self._producer.flush(20) or errors:
            raise PublishError(f"Kafka did not accept the record: {errors or 'timed out'}")

    def stop(self) -> None:
        self._producer.flush(5)
