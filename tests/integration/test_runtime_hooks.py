"""The loop on a real broker counts a batch once: after-commit hooks never run for an aborted transaction,
even when its records are processed again one by one after the processor raised; and a record it raises on
even alone is dead-lettered whole, with what it raised."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.dlq import DlqReason, parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory, RuntimeSettings, StreamLoop
from streams.runtime.context import Context
from streams.runtime.records import InRecord
from tests.support.control import wait_for
from tests.support.hotpath import running_loop
from tests.support.kafka import consume_all
from tests.support.processors import SourceProcessor, source_and_sink

RECORDS = 12


class FlakyCounter(SourceProcessor):
    """Copies each record to an output and counts it after commit; the first ``boom`` raises once."""

    def __init__(self, source: str, sink: str) -> None:
        super().__init__(source)
        self.sink = sink
        self.processed: list[int] = []
        self.counted: list[int] = []
        self.raised = False

    def process(self, batch: Sequence[InRecord], ctx: Context) -> None:
        for rec in batch:
            offset = rec.offset() or 0
            self.processed.append(offset)
            if rec.value() == b"boom" and not self.raised:
                self.raised = True
                raise RuntimeError("a transient failure: the batch is aborted and isolated")
            ctx.emit(self.sink, rec.key(), rec.value())
            ctx.after_commit(lambda offset=offset: self.counted.append(offset))


def test_an_aborted_batch_is_counted_once_when_it_commits(kafka: KafkaSettings, catalogue: Catalogue) -> None:
    cat = catalogue
    source, sink = source_and_sink(kafka, cat)
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


class AlwaysRaises(FlakyCounter):
    """Raises on every ``boom``, as a bug on one record would: it must be dead-lettered whole."""

    def process(self, batch: Sequence[InRecord], ctx: Context) -> None:
        self.raised = False
        super().process(batch, ctx)


def test_a_record_the_processor_always_raises_on_is_dead_lettered_whole_with_what_it_raised(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    cat = catalogue
    source, sink = source_and_sink(kafka, cat)
    producer = ClientFactory(kafka, "test").producer()
    for n in range(RECORDS):
        producer.produce(source, b"boom" if n == RECORDS // 2 else f"r{n}".encode(), str(n).encode())
    assert producer.flush(30) == 0

    processor = AlwaysRaises(source, sink)
    runtime = RuntimeSettings(kafka=kafka, namespace=cat.namespace, worker_id="raises", tick_s=60)
    with running_loop(StreamLoop(processor, runtime)):
        wait_for(lambda: len(processor.counted) >= RECORDS - 1, 60, "every other record committed")
        (letter,) = consume_all(kafka, cat.dlq(processor.name), expect=1)
    assert letter.value() == b"boom"  # the record itself, to replay once the bug is fixed
    dead = parse_dlq_headers(letter.headers())
    assert dead.reason == DlqReason.PROCESSING_ERROR and dead.source_offset == RECORDS // 2
    assert "RuntimeError: a transient failure" in dead.error
    assert len(consume_all(kafka, sink, expect=RECORDS - 1)) == RECORDS - 1
