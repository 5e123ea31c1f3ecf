"""A restore on a real broker: a state that takes longer to read than the restore's timeout still restores,
as long as it keeps reading (the timeout is for a restore that stopped moving: a broker outage)."""

from __future__ import annotations

import time

from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory
from streams.runtime.restore import ensure_changelogs, restore_scopes
from streams.runtime.stores import Stores, StoreSpec, raw_codec

RECORDS = 1_500_000
TIMEOUT_S = 1.5
SCOPE = ("rax.in.510000.hits", 0)


def test_a_restore_longer_than_its_timeout_finishes_while_it_keeps_reading(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    stores = Stores([StoreSpec("big", codec=raw_codec())], lambda n: catalogue.changelog("test", n), 1)
    factory = ClientFactory(kafka, "test-restore")
    ensure_changelogs(factory, stores, None, 30)
    producer = factory.producer({"queue.buffering.max.messages": RECORDS + 1})
    prefix = f"{SCOPE[0]}\x1f{SCOPE[1]}\x1f"
    for i in range(RECORDS):
        producer.produce(stores.topic_of["big"], b"v", f"{prefix}{i}".encode(), partition=0)
        if i % 50_000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0

    started = time.monotonic()
    applied = restore_scopes(factory, stores, {SCOPE}, TIMEOUT_S)
    took = time.monotonic() - started

    assert applied == RECORDS and len(stores.get("big", SCOPE)) == RECORDS
    assert took > TIMEOUT_S  # a deadline on the whole restore would have given up (and retried forever)
