"""``rax evaluate rebuild``: every scorecard recomputed from the start of the input topics and republished.

The same ledger, ingest and publisher as the faust app, fed by a plain read-committed reader of the
runtime's client factory from the beginning of every input partition to its end offset at start; so
the scorecards it writes are the ones a fresh app reaches once caught up. Refused records are counted,
not dead-lettered again (the app dead-lettered them when it read them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

from schemas.topics import Catalogue
from streams.evaluate.decode import BadRecord
from streams.evaluate.ingest import Ingest, RecordRef
from streams.evaluate.inputs import existing_inputs
from streams.evaluate.ledger import Ledger
from streams.evaluate.publish import Publisher
from streams.runtime.clients import ClientFactory

__all__ = ["Replayed", "publish_all", "replay"]


@dataclass
class Replayed:
    """What a replay read: the ledger, the publisher with every scorecard key marked, and counts."""

    ledger: Ledger
    publisher: Publisher
    records: int = 0
    rejected: int = 0


def replay(factory: ClientFactory, cat: Catalogue, since: float, timeout_s: float = 600.0) -> Replayed:
    """Reads every input topic from its beginning to its end offset at the call; raises ``TimeoutError``."""
    out = Replayed(Ledger(since), Publisher())
    ingest = Ingest(cat, out.ledger)
    reader = factory.reader(group_id=f"{cat.processor_prefix}evaluate.rebuild")
    try:
        meta = reader.list_topics(timeout=10)
        ends: dict[tuple[str, int], int] = {}
        for topic in existing_inputs(factory, cat):
            for p in meta.topics[topic].partitions:
                low, high = reader.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                if high > low:
                    ends[(topic, p)] = high
        reader.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in ends])
        deadline = time.monotonic() + timeout_s
        while ends:
            if time.monotonic() > deadline:
                raise TimeoutError(f"replay: {len(ends)} partitions not read to their end in {timeout_s} s")
            for msg in reader.consume(1000, 0.5):
                tp = (msg.topic() or "", msg.partition() or 0)
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        ends.pop(tp, None)
                    continue
                offset = msg.offset() or 0
                _, ts_ms = msg.timestamp()
                ref = RecordRef(tp[0], tp[1], offset, ts_ms / 1000)
                out.records += 1
                try:
                    out.publisher.mark(ingest.add(ref, msg.value()))
                except BadRecord:
                    out.rejected += 1
                if offset + 1 >= ends.get(tp, 0):
                    ends.pop(tp, None)
    finally:
        reader.close()
    return out


def publish_all(factory: ClientFactory, cat: Catalogue, replayed: Replayed) -> int:
    """Writes every scorecard of the replay to ``rax.scorecards``; returns how many."""
    producer = factory.producer({"client.id": "rax-evaluate-rebuild"})
    failed: list[str] = []

    def delivered(err: object, _msg: object) -> None:
        if err is not None:
            failed.append(str(err))

    cards = replayed.publisher.changed(replayed.ledger, full=True)
    for key, value in cards:
        producer.produce(cat.scorecards, key=key.encode(), value=value, on_delivery=delivered)
        producer.poll(0)
    if producer.flush(30) > 0 or failed:
        raise RuntimeError(f"rebuild: {len(failed)} scorecards not written, e.g. {failed[:1]}")
    return len(cards)
