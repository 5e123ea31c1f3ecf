"""The loop on a real broker counts a batch once: after-commit hooks never run for an aborted transaction,
even when its records are processed again one by one after the processor raised."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka.admin import NewTopic

from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory, RuntimeSettings, StreamLoop
from streams.runtime.context import Context
from streams.runtime.records import InRecord
from streams.runtime.stores import Scope, Stores, StoreSpec
from tests.support.control import wait_for
from tests.support.hotpath import running_loop
from tests.support.kafka import consume_all

RECORDS = 12


class FlakyCounter:
    """Copies each record to an output and counts it after commit; the first ``boom`` raises once."""

    name = "hotpath"  # a DLQ component: names the group, the transactional id and the DLQ topic

    def __init__(self, source: str, sink: str) -> None:
        self.source, self.sink = source, sink
        self.processed: list[int] = []
        self.counted: list[int] = []
        self.raised = False

    def topics(self) -> list[str]:
        return [self.source]

    def store_specs(self) -> list[StoreSpec]:
        return []

    def start(self) -> None: ...

    def between_batches(self) -> None: ...

    def assigned(self, scope: Scope, stores: Stores) -> None: ...

    def revoked(self, scope: Scope) -> None: ...

    def process(self, batch: Sequence[InRecord], ctx: Context) -> None:
        for rec in batch:
            offset = rec.offset() or 0
            self.processed.append(offset)
            if rec.value() == b"boom" and not self.raised:
                self.raised = True
                raise RuntimeError("a transient failure: the batch is aborted and isolated")
            ctx.emit(self.sink, rec.key(), rec.value())
            ctx.after_commit(lambda offset=offset: self.counted.append(offset))

    def tick(self, ctx: Context) -> None: ...

    def not_ready(self) -> list[str]:
        return []

    def views(self) -> dict[str, Callable[[], Any]]:
        return {}

    def close(self) -> None: ...


def test_an_aborted_batch_is_counted_once_when_it_commits(kafka: KafkaSettings, catalogue: Catalogue) -> None:
    cat = catalogue
    source, sink = f"{cat.namespace}.src", f"{cat.namespace}.sink"
    admin = ClientFactory(kafka, "test-admin").admin()
    topics = [NewTopic(t, 1, 1) for t in (source, sink, cat.dlq("hotpath"))]
    for fut in admin.create_topics(topics, operation_timeout=30).values():
        fut.result()
    producer = ClientFactory(kafka, "test").producer()
    for n in range(RECORDS):
        producer.produce(source, b"boom" if n == RECORDS // 2 else f"r{n}".encode(), str(n).encode())
    assert producer.flush(30) == 0

    processor = FlakyCounter(source, sink)
    runtime = RuntimeSettings(kafka=kafka, namespace=cat.namespace, worker_id="hooks", tick_s=60)
    with running_loop(StreamLoop(processor, runtime)):
        wait_for(lambda: len(processor.counted) >= RECORDS, 60, "every record committed")

    assert processor.raised and len(processor.processed) > RECORDS  # some records were processed twice
    assert sorted(processor.counted) == list(range(RECORDS))  # ... and each was counted once
    assert len(consume_all(kafka, sink, expect=RECORDS)) == RECORDS
