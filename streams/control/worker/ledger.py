"""Delivery ids already on ``rax.out.*`` that the deliveries table may not hold yet, read once at start.

After a crash, faust replays input from its last committed offsets; the deliveries table (restored from
its changelog) holds every delivery the app had read from ``rax.out.*`` before its last commit, because
faust flushes the producer (changelog included) before it commits. What it may lack lies between the
app's committed offsets on the out topics and their end: this module reads exactly that range, so a
replayed alert or deadline never produces a delivery id a second time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

__all__ = ["recent_delivery_ids"]

log = logging.getLogger(__name__)


async def _committed_and_partitions(
    options: dict[str, Any], group_id: str, topics: list[str]
) -> tuple[dict[TopicPartition, int], list[TopicPartition]]:
    """The group's committed offsets and every partition of ``topics`` (from one admin client)."""
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group_id)
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    committed = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
    tps = [
        TopicPartition(t["topic"], p["partition"])
        for t in described
        if t["topic"] in topics and not t["error_code"]
        for p in t["partitions"]
    ]
    missing = set(topics) - {tp.topic for tp in tps}
    if missing:  # never start without the ledger of a topic: a replay could repeat its deliveries
        raise RuntimeError(f"cannot read the partitions of {sorted(missing)}")
    return committed, sorted(tps)


async def recent_delivery_ids(options: dict[str, Any], group_id: str, topics: Iterable[str]) -> set[str]:
    """Keys of every record of ``topics`` at or after ``group_id``'s committed offsets (all if none)."""
    started = time.monotonic()
    committed, tps = await _committed_and_partitions(options, group_id, list(topics))
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False, isolation_level="read_committed")
    await consumer.start()
    ids: set[str] = set()
    try:
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        for tp in tps:  # explicit seeks: seek_to_beginning races the fetcher and costs ~0.5 s per partition
            consumer.seek(tp, max(committed.get(tp, 0), starts[tp]))
        pending = {tp for tp in tps if max(committed.get(tp, 0), starts[tp]) < ends[tp]}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=500)
            for records in batch.values():
                ids.update(r.key.decode() for r in records if r.key)
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    log.info(
        "ledger: %d delivery ids after the committed offsets (%.2f s)", len(ids), time.monotonic() - started
    )
    return ids
