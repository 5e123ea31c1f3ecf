"""Publishes a command centre's acknowledgement of one delivery on its region's acks topic."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ops.centre.region_macs import mac_headers_for
from schemas.acks import Acknowledgement, Outcome
from schemas.base import stable_event_id
from schemas.codec import encode
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

__all__ = ["acknowledge"]


def acknowledge(
    settings: KafkaSettings,
    cat: Catalogue,
    region: str,
    delivery_id: str,
    outcome: Outcome,
    operator: str,
    note: str | None = None,
    mac_key: Path | None = None,
    sign_keys: Path | None = None,
) -> Acknowledgement:
    """Sends the acknowledgement and waits until Kafka has it; a re-sent one keeps its ack id.

    ``mac_key``: the region's MAC key file, ``sign_keys``: its key store; the acknowledgement then carries
    ``rax.mac`` and ``rax.sig`` as a connector's records do (needed under ``mac``/``sig: required``).
    """
    ack = Acknowledgement(
        ack_id=stable_event_id("ack", delivery_id, region, outcome.value),
        delivery_id=delivery_id,
        region=region,
        outcome=outcome,
        at=datetime.now(UTC),
        operator=operator,
        note=note,
    )
    topic, value, key = cat.in_acks(region), encode(ack), delivery_id.encode()
    headers = mac_headers_for(mac_key, region, topic, key, value, sign_keys)
    producer = ClientFactory(settings, f"centre-ack@{region}").producer()
    errors: list[object] = []
    producer.produce(
        topic, value, key, headers=headers, on_delivery=lambda err, _m: errors.append(err) if err else None
    )
    if producer.flush(30) or errors:
        raise RuntimeError(f"the acknowledgement was not accepted by Kafka: {errors or 'timed out'}")
    return ack
