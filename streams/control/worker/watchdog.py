"""Crash-only recovery from a stalled consumer: no progress while input waits means exit, not hang.

faust-streaming 0.15 sometimes stops fetching after a restart under load (the worker is ready, the
input has lag, nothing arrives; see docs/control.md). The watchdog compares the group's committed
offsets with the input's end offsets; when records wait and none has been processed for
``stall_seconds``, it exits with ``EXIT_STALLED`` so that the supervisor restarts the worker (safe:
processing is at-least-once and deliveries are deduplicated by the ledger).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

__all__ = ["EXIT_STALLED", "skipped", "watch"]

log = logging.getLogger(__name__)

#: Exit code of a worker that stopped itself because its consumer stalled (EX_TEMPFAIL: restart it).
EXIT_STALLED = 75


async def _lag(admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, group: str, topics: list[str]) -> int:
    """Records waiting in ``topics`` beyond the group's committed offsets."""
    committed = await admin.list_consumer_group_offsets(group)
    described = await admin.describe_topics(topics)
    tps = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    ends = await consumer.end_offsets(tps)
    done = {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}
    # one offset past the last record can be a transaction marker (the hot path writes transactions)
    return sum(lag for tp in tps if (lag := ends[tp] - done.get(tp, 0)) > 1)


def skipped(
    committed: dict[tuple[str, int], int],
    seen: dict[tuple[str, int], list[int]],
    base: dict[tuple[str, int], int],
) -> int:
    """Records below the committed offsets that were never handed to an agent (and forget the handled).

    ``seen`` holds the offsets the agents handled, per (topic, partition); ``base`` where the last check
    left off (at first: the committed offsets at start). Only for topics without transaction markers,
    where offsets are dense.
    """
    missing = 0
    for tp, offsets in seen.items():
        if tp not in committed:
            continue
        end = committed[tp]
        below = {o for o in offsets if o < end}
        start = base.get(tp, min(below) if below else end)
        missing += max(0, (end - start) - len({o for o in below if o >= start}))
        base[tp] = max(start, end)
        seen[tp] = [o for o in offsets if o >= end]
    return missing


async def watch(
    options: dict[str, Any],
    group: str,
    topics: list[str],
    metrics: Any,
    seen: dict[tuple[str, int], list[int]],
    stall_seconds: float,
    start: dict[tuple[str, int], int],
) -> None:
    """Run forever; exit the process when input waits unprocessed, or was committed without processing."""
    admin = AIOKafkaAdminClient(**options)
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False, isolation_level="read_committed")
    await admin.start()
    await consumer.start()
    last, since, base = metrics.processed, time.monotonic(), dict(start)
    try:
        while True:
            await asyncio.sleep(stall_seconds / 3)
            offsets = await admin.list_consumer_group_offsets(group)
            committed = {(tp.topic, tp.partition): m.offset for tp, m in offsets.items() if m.offset >= 0}
            if missing := skipped(committed, seen, base):
                log.critical(
                    "%d records were committed but never processed: exiting (%d)", missing, EXIT_STALLED
                )
                os._exit(EXIT_STALLED)
            now_processed = metrics.processed
            if now_processed != last:
                last, since = now_processed, time.monotonic()
                continue
            if time.monotonic() - since < stall_seconds:
                continue
            lag = await _lag(admin, consumer, group, topics)
            if lag > 0:
                log.critical(
                    "no record processed for %.0f s while %d wait: exiting (%d) for a restart",
                    time.monotonic() - since,
                    lag,
                    EXIT_STALLED,
                )
                os._exit(EXIT_STALLED)
            since = time.monotonic()
    finally:
        await consumer.stop()
        await admin.close()
