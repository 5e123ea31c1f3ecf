"""What a region was given: its ``rax.out.<region>`` read to its end, read-committed, as the region itself.

The region's lists (special operations, cooperation requests) are folded from here, so nothing is shown
that the consent rule withheld, and there is no second copy to keep in step. The out topic's retention
(7 days) bounds what it holds. Sealed deliveries (of any kind) are opened with the region's private keys;
one that does not open (no key store given, a key not held) is left out and said why, never guessed at.
"""

from __future__ import annotations

import contextlib
import logging

from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

from ops.keys import KeyStoreError
from schemas.blind_entries import with_entry_details
from schemas.codec import DecodeError, decode
from schemas.crypto import OpenError
from schemas.delivery import Delivery
from schemas.kafka_settings import KafkaSettings
from schemas.sealed_delivery import PrivateKeyLookup, open_delivery
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

__all__ = ["opened", "read_deliveries"]

log = logging.getLogger(__name__)


def opened(d: Delivery, keys: PrivateKeyLookup | None) -> Delivery:
    """``d`` with its payload opened by ``keys`` (``d`` itself when not sealed); ``OpenError`` when it
    cannot be: no key store, a key not held, a store that refuses its key, a body that does not open."""
    if d.sealed is None:
        return d
    if keys is None:
        raise OpenError(f"delivery {d.delivery_id} is sealed and no key store was given (--keys)")
    try:
        return with_entry_details(open_delivery(d, keys), keys)  # a blind entry's details too
    except KeyStoreError as exc:
        raise OpenError(f"delivery {d.delivery_id}: {exc}") from None


def read_deliveries(
    settings: KafkaSettings,
    cat: Catalogue,
    region: str,
    client: str,
    timeout: float = 30.0,
    keys: PrivateKeyLookup | None = None,
    unopened: list[str] | None = None,
) -> list[Delivery]:
    """Every delivery on ``region``'s out topic, in partition order, sealed ones opened with ``keys``;
    ``client`` names the reader (its group lies under the region's group prefix, which the region's
    identity may use). A sealed delivery that does not open is left out; why is appended to
    ``unopened`` (and logged)."""
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
                d = decode(msg.value(), Delivery)
                try:
                    deliveries.append(opened(d, keys))
                except OpenError as exc:
                    log.error("%s: left out", exc)
                    if unopened is not None:
                        unopened.append(str(exc))
    finally:
        consumer.close()
    return deliveries
