"""Loading the watchlist topic into the peer's index before the application starts (its ``get_consumer``)."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import orjson
from confluent_kafka import TopicPartition

from bench.peers.quix.index import Entry, PeerIndex

log = logging.getLogger(__name__)


def load_watchlist(consumer: Any, topic: str, index: PeerIndex) -> int:
    """Reads ``topic`` from the start to its current end into ``index``; returns the entries read.

    ``consumer`` is ``Application.get_consumer()`` (assigned, never joins a group). The last record of
    an entry id wins; a tombstone removes nothing already added (the benchmark sends none).
    """
    started, intern = time.monotonic(), sys.intern
    meta = consumer.list_topics(topic, timeout=30).topics[topic]
    ends = {}
    for p in meta.partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
        if high > low:
            ends[p] = high
    consumer.assign([TopicPartition(topic, p, 0) for p in ends])
    latest: dict[str, Entry] = {}
    while ends:
        for m in consumer.consume(10_000, 1.0):
            if m.error() is not None:
                continue
            p, offset, value = m.partition(), m.offset(), m.value()
            if value is not None:
                d = orjson.loads(value)
                colour = d.get("plate_colour")
                latest[d["entry_id"]] = Entry(  # the repeated values interned: a million entries
                    d["entry_id"],
                    intern(d["owner"]),
                    intern(d["category"]),
                    intern(d["action"]),
                    intern(d["priority"]),
                    d["plate"],
                    intern(colour) if colour else None,
                    d.get("tolerance", 0),
                )
            if p in ends and offset + 1 >= ends[p]:
                del ends[p]
    for e in latest.values():
        index.add(e)
    log.warning("watchlist: %d entries in %.1f s", len(latest), time.monotonic() - started)
    return len(latest)
