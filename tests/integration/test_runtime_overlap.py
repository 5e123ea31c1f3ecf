"""The loop on a real broker processes the next batch while the last one sends its offsets and commits, and
loses nothing for it: a commit that fails in flight takes the batch processed meanwhile back with it, and
each record's output is still written once."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence

import orjson
import pytest
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic

from schemas.dlq import parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory, RuntimeSettings, StreamLoop, transactions
from streams.runtime.context import Context
from streams.runtime.records import InRecord
from streams.runtime.stores import StoreSpec
from tests.support.control import wait_for
from tests.support.hotpath import running_loop
from tests.support.kafka import consume_all
from tests.support.processors import SourceProcessor, source_and_sink


class Copier(SourceProcessor):
    """Copies each record to the sink, taking ``work_s`` per batch; notes when each batch was processed."""

    def __init__(self, source: str, sink: str, work_s: float = 0.0) -> None:
        super().__init__(source)
        self.sink, self.work_s = sink, work_s
        self.spans: list[tuple[float, float]] = []
        self.counted: list[int] = []

    def process(self, batch: Sequence[InRecord], ctx: Context) -> None:
        began = time.monotonic()
        time.sleep(self.work_s)
        for rec in batch:
            offset = rec.offset() or 0
            ctx.emit(self.sink, rec.key(), rec.value())
            ctx.after_commit(lambda offset=offset: self.counted.append(offset))
        self.spans.append((began, time.monotonic()))


def _timed_commits(loop: StreamLoop) -> list[tuple[float, float]]:
    """Instrument the loop's commit step (not Kafka): (start, end) of every transaction's commit."""
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()
    commit = loop._finish_commit

    def timed() -> None:
        t0 = time.monotonic()
        try:
            commit()
        finally:
            with lock:
                spans.append((t0, time.monotonic()))

    loop._finish_commit = timed  # type: ignore[method-assign]
    return spans


def _offset_sends(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread each ``send_offsets_to_transaction`` was made from."""
    threads: list[str] = []
    real = transactions.call_within

    def noted(what: str, *args: object, **kwargs: object) -> object:
        if what == "send_offsets_to_transaction":
            threads.append(threading.current_thread().name)
        return real(what, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(transactions, "call_within", noted)
    return threads


@pytest.mark.parametrize("overlap", [True, False])
def test_the_next_batch_is_processed_while_the_last_commits_only_when_overlapping(
    kafka: KafkaSettings, catalogue: Catalogue, overlap: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat = catalogue
    source, sink = source_and_sink(kafka, cat)
    records = 60
    producer = ClientFactory(kafka, "test").producer()
    for n in range(records):
        producer.produce(source, f"r{n}".encode(), str(n).encode())
    assert producer.flush(30) == 0

    processor = Copier(source, sink, work_s=0.01)
    runtime = RuntimeSettings(
        kafka=kafka,
        namespace=cat.namespace,
        worker_id="overlap",
        tick_s=60,
        batch_size=3,
        overlap_commit=overlap,
    )
    loop = StreamLoop(processor, runtime)
    commits = _timed_commits(loop)
    sends = _offset_sends(monkeypatch)
    with running_loop(loop):
        wait_for(lambda: len(processor.counted) >= records, 60, "every record committed")

    # a batch processed while a commit ran: their spans intersect (a batch's own commit starts after it)
    during = [p for p in processor.spans if any(c0 < p[1] and p[0] < c1 for c0, c1 in commits)]
    if overlap:
        assert len(during) >= len(processor.spans) // 2, (processor.spans, commits)
        # the offsets go with the commit, off the loop's thread: the next batch is processed meanwhile
        assert sends and all(name.startswith("rax-commit") for name in sends), sends
    else:
        assert during == []
        assert sends and all(name.endswith("-loop") for name in sends), sends  # the loop's own thread
    assert sorted(processor.counted) == list(range(records))  # each counted once
    assert sorted(int(m.key()) for m in consume_all(kafka, sink)) == list(range(records))


def test_a_commit_failing_in_flight_takes_the_batch_processed_meanwhile_back_with_it(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    cat = catalogue
    source, sink = source_and_sink(kafka, cat)
    admin = ClientFactory(kafka, "test-admin").admin()
    # the sink takes only small records: the broker refuses the big output when its transaction commits
    entry = ConfigEntry("max.message.bytes", "4096", incremental_operation=AlterConfigOpType.SET)
    for fut in admin.incremental_alter_configs(
        [ConfigResource("topic", sink, incremental_configs=[entry])]
    ).values():
        fut.result()
    records, big = 30, 7
    producer = ClientFactory(kafka, "test").producer({"message.max.bytes": 1_000_000})
    for n in range(records):
        producer.produce(source, os.urandom(20_000) if n == big else f"r{n}".encode(), str(n).encode())
    assert producer.flush(30) == 0

    processor = Copier(source, sink)
    runtime = RuntimeSettings(
        kafka=kafka, namespace=cat.namespace, worker_id="inflight", tick_s=60, batch_size=2
    )
    with running_loop(StreamLoop(processor, runtime)):
        wait_for(lambda: len(processor.counted) >= records - 1, 90, "every other record committed")
        dead = consume_all(kafka, cat.dlq("hotpath"), expect=1, timeout=60)

    assert sorted(processor.counted) == [n for n in range(records) if n != big]  # each once, none lost
    written = sorted(int(m.key()) for m in consume_all(kafka, sink))
    assert written == [n for n in range(records) if n != big]  # read_committed: no output of an aborted try
    letters = [parse_dlq_headers(m.headers()) for m in dead]
    assert [(d.source_topic, d.source_offset) for d in letters] == [(source, big)]


class CountsElsewhere(Copier):
    """Copies each record, and counts them in the store of another input partition than the record's (as
    the escalate processor decides a read in the store of its plate's inbox partition)."""

    def __init__(self, source: str, sink: str, aux: str) -> None:
        super().__init__(source, sink)
        self.aux = aux

    def topics(self) -> list[str]:
        return [self.source, self.aux]

    def store_specs(self) -> list[StoreSpec]:
        return [StoreSpec("counts", lambda topic: topic == self.aux)]

    def process(self, batch: Sequence[InRecord], ctx: Context) -> None:
        store = ctx.store("counts", (self.aux, 0))
        store["n"] = store.get("n", 0) + sum(1 for rec in batch if rec.topic() == self.source)
        super().process(batch, ctx)


def test_a_failed_transaction_restores_every_store_it_changed_not_only_its_records_partitions(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    cat = catalogue
    source, sink = source_and_sink(kafka, cat)
    aux = f"{cat.namespace}.aux"
    admin = ClientFactory(kafka, "test-admin").admin()
    for fut in admin.create_topics([NewTopic(aux, 1, 1)], operation_timeout=30).values():
        fut.result()
    entry = ConfigEntry("max.message.bytes", "4096", incremental_operation=AlterConfigOpType.SET)
    for fut in admin.incremental_alter_configs(
        [ConfigResource("topic", sink, incremental_configs=[entry])]
    ).values():
        fut.result()  # the big record's output is refused when its transaction commits
    records, big = 20, 5
    producer = ClientFactory(kafka, "test").producer({"message.max.bytes": 1_000_000})
    for n in range(records):
        producer.produce(source, os.urandom(20_000) if n == big else f"r{n}".encode(), str(n).encode())
    assert producer.flush(30) == 0

    processor = CountsElsewhere(source, sink, aux)
    runtime = RuntimeSettings(
        kafka=kafka, namespace=cat.namespace, worker_id="elsewhere", tick_s=60, batch_size=3
    )
    with running_loop(StreamLoop(processor, runtime)):
        wait_for(lambda: len(processor.counted) >= records - 1, 90, "every other record committed")
        consume_all(kafka, cat.dlq("hotpath"), expect=1, timeout=60)

    counts = [
        orjson.loads(m.value() or b"null")
        for m in consume_all(kafka, cat.changelog("hotpath", "counts"))
        if m.value() is not None
    ]
    # the store of (aux, 0) counted only what committed: the failed transaction's counts were restored
    # away although none of its records came from aux
    assert counts and counts[-1] == records - 1
