"""Reads the compacted zone topic to its end and returns the newest record of a zone."""

from __future__ import annotations

import contextlib
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from schemas.codec import DecodeError, decode
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from schemas.zone import ZoneObject
from streams.runtime import ClientFactory

__all__ = ["read_latest_zone", "read_zones"]

# errors of a partition whose leadership is still settling right after the topic was created
_SETTLING = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
}


def read_latest_zone(
    settings: KafkaSettings, cat: Catalogue, name: str, timeout: float = 15.0
) -> ZoneObject | None:
    """The last valid ZoneObject of zone ``name`` on the zone topic, or None."""
    return read_zones(settings, cat, timeout).get(name)


def read_zones(settings: KafkaSettings, cat: Catalogue, timeout: float = 15.0) -> dict[str, ZoneObject]:
    """The last valid ZoneObject of every zone on the namespace's zone topic, by zone name."""
    consumer = ClientFactory(settings, f"{cat.processor_prefix}zone").reader()
    try:
        low, high = _watermarks(consumer, TopicPartition(cat.zone, 0), timeout)
        if high <= low:
            return {}
        consumer.assign([TopicPartition(cat.zone, 0, low)])
        latest: dict[str, ZoneObject] = {}
        while True:
            msg = consumer.poll(timeout)
            if msg is None:
                raise TimeoutError(f"{cat.zone} did not deliver up to offset {high} within {timeout} s")
            if msg.error():
                continue
            key = (msg.key() or b"").decode(errors="replace")
            if key.startswith("zone:") and msg.value() is not None:
                with contextlib.suppress(DecodeError):  # an older contract's record: a newer one replaces it
                    latest[key.removeprefix("zone:")] = decode(msg.value(), ZoneObject)
            if (msg.offset() or 0) >= high - 1:
                return latest
    finally:
        consumer.close()


def _watermarks(consumer: Consumer, tp: TopicPartition, timeout: float) -> tuple[int, int]:
    """Low and high offsets, retried while a new topic's leader is still being elected."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            low, high = consumer.get_watermark_offsets(tp, timeout=timeout)
            return int(low), int(high)
        except KafkaException as exc:
            if (
                not exc.args[0].retriable() and exc.args[0].code() not in _SETTLING
            ) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
