"""The escalate processor's read journal: plain reads logged a chunk per transaction, put back on restore."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson

from schemas.codec import decode
from schemas.delivery import Delivery
from streams.escalate.journal import CHUNK_ROWS
from streams.escalate.processor import EscalateProcessor
from streams.runtime import Context, DeadLetterBuilder, Outgoing, Record, Stores
from tests.unit.models_factories import hit_data
from tests.unit.test_escalate_processor import CAT, hit, processor

INBOX = (CAT.escalate_inbox, 0)
Change = tuple[str, int, bytes, bytes | None]


def read(plate: str, at: datetime, region: str = "510000", checkpoint: str = "CD-1") -> Record:
    data = hit_data(event_id=str(uuid.uuid4()), region=region, checkpoint_id=checkpoint, plate=plate)
    return Record(CAT.in_hits(region), orjson.dumps(data | {"pass_time": at.isoformat()}))


def turn(
    p: EscalateProcessor, stores: Stores, batch: list[Record], now: float
) -> tuple[list[Outgoing], list[Change]]:
    """One transaction, as the runtime runs it: its outputs, and the store changes it sent."""
    ctx = Context(now, stores, DeadLetterBuilder(CAT.dlq("escalate"), "escalate"))
    p.process(batch, ctx)
    changes = list(stores.changes())
    stores.clean()
    return ctx.out, changes


def both_stages(
    p: EscalateProcessor, stores: Stores, hits: list[Record], now: float
) -> tuple[list[Outgoing], list[Change]]:
    forwarded, first = turn(p, stores, hits, now)
    inbox = [Record(CAT.escalate_inbox, o.value, i, 0, o.key) for i, o in enumerate(forwarded)]
    out, second = turn(p, stores, inbox, now)
    return out, first + second


def restarted(changelog: list[Change]) -> tuple[EscalateProcessor, Stores]:
    """A new worker whose stores are restored from ``changelog`` (compacted: the last value per key)."""
    p, stores = processor()
    names = {topic: name for name, topic in stores.topic_of.items()}
    last: dict[tuple[str, bytes], bytes | None] = {}
    for topic, _, key, value in changelog:
        last[(topic, key)] = value
    for (topic, key), value in last.items():
        stores.apply_changelog(names[topic], {INBOX}, key, value)
    p.assigned(INBOX, stores)
    return p, stores


def test_plain_reads_are_journaled_a_chunk_per_transaction_and_no_plate_state_is_logged() -> None:
    p, stores = processor()
    t = datetime.now(UTC) - timedelta(minutes=30)
    reads = [read(f"川B1234{i}", t + timedelta(seconds=i)) for i in range(5)]  # five plates, a read each
    out, changes = both_stages(p, stores, reads, time.time())
    assert not [o for o in out if o.topic.startswith(CAT.out_prefix)]
    topics = [c[0] for c in changes]
    assert topics.count(stores.topic_of["reads"]) == 1  # one chunk, holding the five
    assert stores.topic_of["vehicles"] not in topics
    assert len(stores.get("vehicles", INBOX)) == 5  # kept in memory all the same


def test_a_chunk_holds_at_most_its_rows_and_a_firing_logs_its_plate_state() -> None:
    p, stores = processor()
    t = datetime.now(UTC) - timedelta(hours=1)
    reads = [read(f"川C{i:05d}", t + timedelta(seconds=i)) for i in range(CHUNK_ROWS + 1)]
    _, changes = both_stages(p, stores, reads, time.time())
    assert [c[0] for c in changes].count(stores.topic_of["reads"]) == 2
    far = [hit("510000", "CD-1", t), hit("500000", "CQ-1", t + timedelta(minutes=20))]
    out, changes = both_stages(p, stores, far, time.time())
    assert [o for o in out if o.topic.startswith(CAT.out_prefix)]  # the clone fired
    logged = [c for c in changes if c[0] == stores.topic_of["vehicles"]]
    assert [c[2].endswith("川A12345".encode()) for c in logged] == [True]


def test_a_restarted_worker_puts_the_journaled_reads_back_and_fires_on_them_once() -> None:
    p, stores = processor()
    now = time.time()
    t = datetime.fromtimestamp(now, UTC) - timedelta(minutes=30)
    _, changelog = both_stages(p, stores, [hit("510000", "CD-1", t)], now)
    q, restored = restarted(changelog)
    assert "川A12345" in restored.get("vehicles", INBOX)
    out, more = both_stages(q, restored, [hit("500000", "CQ-1", t + timedelta(minutes=20))], now)
    deliveries = [decode(o.value or b"", Delivery) for o in out if o.topic.startswith(CAT.out_prefix)]
    assert sorted(d.recipient for d in deliveries) == ["500000", "510000"]  # the read before the restart
    # restarted again after the firing: the mark holds, the same reads fire nothing more
    r, again = restarted(changelog + more)
    out, _ = both_stages(r, again, [hit("500000", "CQ-1", t + timedelta(minutes=21))], now)
    assert not [o for o in out if o.topic.startswith(CAT.out_prefix)]


def test_a_restore_forgets_stale_plates_and_chunks_behind_twice_the_horizon_are_deleted() -> None:
    p, stores = processor()
    long_ago = datetime.now(UTC) - timedelta(hours=5)  # the test rules' window is an hour
    _, changelog = both_stages(p, stores, [hit("510000", "CD-1", long_ago)], time.time())
    _, restored = restarted(changelog)
    assert "川A12345" not in restored.get("vehicles", INBOX)  # stale: the sweep would have dropped it
    # the next transaction that journals in this partition deletes the chunk (behind 2 x 1 h)
    fresh = read("川D00001", datetime.now(UTC))
    _, changes = both_stages(p, stores, [fresh], time.time())
    tombstones = [c for c in changes if c[0] == stores.topic_of["reads"] and c[3] is None]
    assert len(tombstones) == 1


def test_the_sweep_writes_no_tombstone_for_a_plate_never_logged() -> None:
    p, stores = processor()
    t = datetime.now(UTC) - timedelta(minutes=30)
    both_stages(p, stores, [hit("510000", "CD-1", t)], time.time())
    ctx = Context(time.time() + 3 * 3600, stores, DeadLetterBuilder(CAT.dlq("escalate"), "escalate"))
    p.tick(ctx)
    assert "川A12345" not in stores.get("vehicles", INBOX)
    assert not [c for c in stores.changes() if c[0] == stores.topic_of["vehicles"]]
