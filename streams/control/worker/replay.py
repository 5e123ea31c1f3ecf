"""At start, re-read the last records before each committed offset and hand them to the handlers again.

faust-streaming 0.15 can commit an input offset past a record its agent never saw (after a restart
the first record at the committed offset may be dropped, and a jump in read offsets is acknowledged
as a "gap"; see docs/control.md). Every handler is idempotent (deliveries by delivery id, commands by
command id, acks by ack id, deliveries read back by id), so re-reading ``margin`` records per
partition before faust resumes costs little and gives such a record a second chance.
"""

from __future__ import annotations

import logging
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from schemas.topics import TopicKind
from streams.control.worker.guard import Source, guard
from streams.control.worker.handlers import STREAMS, dispatch
from streams.control.worker.runtime import ControlRuntime

__all__ = ["replay_before_committed"]

log = logging.getLogger(__name__)


async def _ranges(rt: ControlRuntime, margin: int) -> dict[TopicPartition, tuple[int, int]]:
    admin = AIOKafkaAdminClient(**rt.options)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(rt.settings.app_id)
    finally:
        await admin.close()
    names = {rt.catalogue.out(r) for r in rt.regions}
    names |= {rt.catalogue.in_topic(r, k) for r in rt.regions for k in STREAMS if k != TopicKind.OUT}
    return {
        tp: (max(0, meta.offset - max(margin, 0)), meta.offset)
        for tp, meta in committed.items()
        if tp.topic in names and meta.offset > 0
    }


async def replay_before_committed(rt: ControlRuntime, margin: int) -> int:
    """Hand the ``margin`` records before every committed offset to the handlers; returns how many."""
    started, replayed = time.monotonic(), 0
    ranges = await _ranges(rt, margin)
    rt.start_offsets = {(tp.topic, tp.partition): end for tp, (_, end) in ranges.items()}
    if not ranges:  # a new group: faust reads everything anyway (and stopping an unassigned consumer hangs)
        return 0
    consumer = AIOKafkaConsumer(**rt.options, enable_auto_commit=False, isolation_level="read_committed")
    await consumer.start()
    try:
        consumer.assign(list(ranges))
        starts = await consumer.beginning_offsets(list(ranges))
        for tp, (first, _) in ranges.items():
            consumer.seek(tp, max(first, starts[tp]))
        pending = {tp for tp, (first, end) in ranges.items() if max(first, starts[tp]) < end}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=500)
            for tp, records in batch.items():
                parsed = rt.catalogue.parse_region_topic(tp.topic)
                assert parsed is not None
                region, kind = parsed
                for r in records:
                    if r.offset >= ranges[tp][1]:
                        break
                    source = Source(STREAMS[kind], tp.topic, tp.partition, r.offset, region)
                    headers = [(k, v) for k, v in r.headers or ()]
                    handler = dispatch(rt, source, r.key, r.value, None)
                    await guard(
                        rt, rt.metrics, source, (r.key, r.value, headers), handler, rt.settings.retries
                    )
                    replayed += 1
            pending = {tp for tp in pending if await consumer.position(tp) < ranges[tp][1]}
    finally:
        await consumer.stop()
    log.info("replay: %d records before the committed offsets (%.2f s)", replayed, time.monotonic() - started)
    return replayed
