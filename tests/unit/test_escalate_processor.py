"""The escalate processor driven as the runtime drives it, without a broker: two stages, store, sweep."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson
from prometheus_client import CollectorRegistry

from ops.zone import load_zone_file
from schemas.codec import decode
from schemas.delivery import Delivery
from schemas.escalation import CheckpointSite, ClonedPlateRule, EscalationRules
from schemas.topics import Catalogue
from streams.escalate.config import EscalateSettings
from streams.escalate.processor import EscalateProcessor
from streams.runtime import (
    ClientFactory,
    Context,
    DeadLetterBuilder,
    Outgoing,
    Record,
    RuntimeSettings,
    Stores,
)
from tests.support.hotpath import EXAMPLE_ZONE
from tests.unit.models_factories import hit_data

CAT = Catalogue("rax")
RULES = EscalationRules(
    cloned_plate=ClonedPlateRule(window_s=3600),
    checkpoints=(
        CheckpointSite(checkpoint_id="CD-1", lat=30.66, lon=104.07),
        CheckpointSite(checkpoint_id="CQ-1", lat=29.56, lon=106.55),
    ),
)


def processor() -> tuple[EscalateProcessor, Stores]:
    settings = EscalateSettings(runtime=RuntimeSettings(namespace="rax"))
    p = EscalateProcessor(
        settings, ClientFactory(settings.runtime.kafka, "test-escalate"), CollectorRegistry()
    )
    p.use_zone(load_zone_file(EXAMPLE_ZONE).model_copy(update={"escalation": RULES}), 1)
    stores = Stores(p.store_specs(), lambda s: CAT.changelog("escalate", s), 3)
    p.assigned((CAT.escalate_inbox, 0), stores)
    return p, stores


def turn(p: EscalateProcessor, stores: Stores, batch: list[Record], now: float) -> list[Outgoing]:
    ctx = Context(now, stores, DeadLetterBuilder(CAT.dlq("escalate"), "escalate"))
    if batch:
        p.process(batch, ctx)
    else:
        p.tick(ctx)
    stores.clean()
    return ctx.out


def hit(region: str, checkpoint: str, at: datetime) -> Record:
    data = hit_data(event_id=_uuid(), region=region, checkpoint_id=checkpoint, pass_time=at.isoformat())
    return Record(CAT.in_hits(region), orjson.dumps(data))


def _uuid() -> str:
    return str(uuid.uuid4())


def test_two_reads_too_far_apart_open_one_operation_and_the_plate_is_swept_later() -> None:
    p, stores = processor()
    t = datetime.now(UTC) - timedelta(minutes=30)
    forwarded = turn(
        p, stores, [hit("510000", "CD-1", t), hit("500000", "CQ-1", t + timedelta(minutes=20))], 0
    )
    assert [(o.topic, o.key) for o in forwarded] == [(CAT.escalate_inbox, "川A12345".encode())] * 2
    inbox = [Record(CAT.escalate_inbox, o.value, i, 0, o.key) for i, o in enumerate(forwarded)]
    out = turn(p, stores, inbox, time.time())
    deliveries = [decode(o.value or b"", Delivery) for o in out if o.topic.startswith(CAT.out_prefix)]
    assert sorted(d.recipient for d in deliveries) == ["500000", "510000"]
    assert {d.operation.trigger for d in deliveries if d.operation} == {"cloned_plate"}
    assert len([o for o in out if o.topic == CAT.audit]) == 2
    assert "川A12345" in stores.get("vehicles", (CAT.escalate_inbox, 0))

    turn(p, stores, [], time.time())  # within the window: kept
    assert "川A12345" in stores.get("vehicles", (CAT.escalate_inbox, 0))
    turn(p, stores, [], time.time() + 2 * 3600)  # every read and mark left the window: deleted
    assert "川A12345" not in stores.get("vehicles", (CAT.escalate_inbox, 0))
