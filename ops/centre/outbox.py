"""What a region was given: its ``rax.out.<region>`` read to its end, read-committed, as the region itself.

The region's lists (special operations, cooperation requests) are folded from here, so nothing is shown
that the consent rule withheld, and there is no second copy to keep in step. The out topic's retention
(7 days) bounds what it holds.
"""

from __future__ import annotations

import contextlib

from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

from schemas.codec import DecodeError, decode
from schemas.delivery import Delivery
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

__all__ = ["read_deliveries"]


def read_deliveries(
    settings: KafkaSettings, cat: Catalogue, region: str, client: str, timeout: float = 30.0
) -> list[Delivery]:
    """Every delivery on ``region``'s out topic, in partition order; ``client`` names the reader (its
    group lies under the region's group prefix, which the region's identity may use)."""
    topic = cat.out(region)
    consumer = ClientFactory(settings, f"{client}@{region}").reader(
        group_id=f"{cat.region_group_prefix(region)}{client}"
    )
    deliveries: list[Delivery] = []
    try:
        meta = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
        if meta is None or meta.error is not None:
            raise RuntimeError(f"topic {topic} does not exist: apply the zone (`rax zone apply`) first")
        pending = set(meta.partitions)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in pending])
        while pending:
            msg = consumer.poll(timeout)
            if msg is None:
                raise TimeoutError(f"{topic} was not read to its end within {timeout} s")
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    pending.discard(msg.partition() or 0)
                    continue
                raise RuntimeError(f"reading {topic}: {err}")
            with contextlib.suppress(DecodeError):  # a record that is no delivery: nothing to fold
                deliveries.append(decode(msg.value(), Delivery))
    finally:
        consumer.close()
    return deliveries
