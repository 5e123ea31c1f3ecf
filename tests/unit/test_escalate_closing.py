"""Closing special operations (issue 14, 以专促常): who may close, what the regions are told, the counts.

Also that an operation's deliveries are announced to the control app, which then holds each other region
to an acknowledgement deadline.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from ops.zone import load_zone_file
from schemas.acks import BreachStage
from schemas.audit import AuditRecord, Decision
from schemas.codec import decode
from schemas.delivery import Delivery, DeliveryKind
from schemas.dlq import DlqReason
from schemas.escalation import CheckpointSite, ClonedPlateRule, EscalationRules
from schemas.operation import (
    EscalationTrigger,
    Operation,
    OperationClose,
    OperationOutcome,
    close_id,
)
from schemas.topics import Catalogue
from schemas.zone import Zone
from streams.control.acks.deadlines import due_items
from streams.control.acks.logic import delivery_state
from streams.control.config import DeadlinePolicy
from streams.escalate.closing import (
    CloseRefused,
    Kept,
    close,
    closing_deliveries,
    count_key,
    hit_rates,
    kept_record,
)
from streams.escalate.operations import build_operation, deliver
from streams.escalate.rules import Firing
from streams.escalate.seen import Seen
from tests.support.hotpath import EXAMPLE_ZONE

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
CAT = Catalogue("rax")
RULES = EscalationRules(
    cloned_plate=ClonedPlateRule(),
    checkpoints=(CheckpointSite(checkpoint_id="CD-1", lat=30.66, lon=104.07),),
)


@pytest.fixture(scope="module")
def zone() -> Zone:
    return load_zone_file(EXAMPLE_ZONE).model_copy(update={"escalation": RULES})


def cloned(zone: Zone) -> Operation:
    """A cloned plate read in Sichuan then in Chongqing: owned by Chongqing, delivered to both."""
    t0 = NOW.timestamp() - 3600
    evidence = tuple(
        Seen(str(uuid.uuid4()), "川A12345", "blue", region, "K1", t0 + t)
        for region, t in (("510000", 0), ("500000", 1200))
    )
    return build_operation(Firing(EscalationTrigger.CLONED_PLATE, evidence, "too fast"), zone, RULES, NOW)


def command(
    op: Operation, region: str, outcome: OperationOutcome = OperationOutcome.CONFIRMED
) -> OperationClose:
    return OperationClose(
        close_id=close_id(op.operation_id, region, outcome.value),
        operation_id=op.operation_id,
        region=region,
        outcome=outcome,
        note="plates seized",
        at=NOW,
    )


def test_every_operation_delivery_is_announced_and_owed_an_acknowledgement_by_its_priority(
    zone: Zone,
) -> None:
    op = cloned(zone)
    out, _ = deliver(CAT, zone, op, NOW)
    notices = {o.key: o for o in out if o.topic == CAT.control_inbox}
    deliveries = [decode(o.value or b"", Delivery) for o in out if o.topic.startswith(CAT.out_prefix)]
    assert {d.recipient for d in deliveries} == {"500000", "510000"}
    policy = DeadlinePolicy(acknowledge={"*:high": 600, "*": 3600})
    for d in deliveries:
        notice = notices[d.delivery_id.encode()]
        assert dict(notice.headers or [])["rax.ctl.kind"] == b"notice"
        got, state = delivery_state(notice.value)
        assert got.kind == DeliveryKind.OPERATION and got.subject_id == op.operation_id
        assert got.priority == op.priority == "high"
        due = due_items(policy, d.delivery_id, state)
        if d.recipient == op.owner:
            assert due == []  # the owner's own copy is owed nothing
        else:
            assert due == [(NOW.timestamp() + 600, d.delivery_id, BreachStage.ACKNOWLEDGE.value)]


def test_the_owner_closes_once_and_every_region_given_the_operation_is_told(zone: Zone) -> None:
    op = cloned(zone)
    out, _ = deliver(CAT, zone, op, NOW)
    kept = Kept.from_json(orjson.loads(kept_record(CAT, op, out, 0.0).value or b""))
    assert kept.recipients == ("500000", "510000") and kept.closure is None
    later = NOW + timedelta(hours=2)
    closed = close(kept, command(op, "500000"), later)
    assert closed is not None and closed.closure is not None
    assert closed.closure.outcome == OperationOutcome.CONFIRMED and closed.closure.closed_at == later
    assert (
        close(closed, command(op, "500000", OperationOutcome.FALSE_ALARM), later) is None
    )  # changes nothing
    outputs, refusals = closing_deliveries(CAT, zone, closed, later)
    assert refusals == {}
    told = [decode(o.value or b"", Delivery) for o in outputs if o.topic.startswith(CAT.out_prefix)]
    assert {d.recipient for d in told} == {"500000", "510000"}
    assert all(d.kind == DeliveryKind.OPERATION_CLOSED and d.closure == closed.closure for d in told)
    assert next(d for d in told if d.recipient == "510000").agreement_id == "cy-2024-cq-sc"
    audits = [decode(o.value or b"", AuditRecord) for o in outputs if o.topic == CAT.audit]
    assert {(a.recipient, a.kind, a.decision) for a in audits} == {
        ("500000", DeliveryKind.OPERATION_CLOSED, Decision.DISCLOSED),
        ("510000", DeliveryKind.OPERATION_CLOSED, Decision.DISCLOSED),
    }
    assert not [o for o in outputs if o.topic == CAT.control_inbox]  # a closing notice is owed no answer


def test_only_the_owner_may_close_and_an_unknown_operation_is_refused(zone: Zone) -> None:
    op = cloned(zone)
    kept = Kept(op, ("500000", "510000"), 0.0)
    with pytest.raises(CloseRefused, match="owned by 500000") as refused:
        close(kept, command(op, "510000"), NOW)
    assert refused.value.reason == DlqReason.NOT_AUTHORISED
    with pytest.raises(CloseRefused, match="unknown") as unknown:
        close(None, command(op, "500000"), NOW)
    assert unknown.value.reason == DlqReason.UNKNOWN_REFERENCE


def test_a_region_refused_the_operation_is_not_told_of_its_end(zone: Zone) -> None:
    op = cloned(zone)
    kept = Kept(op, ("500000",), 0.0)  # 510000 was refused at the opening
    closed = close(kept, command(op, "500000"), NOW)
    assert closed is not None
    outputs, _ = closing_deliveries(CAT, zone, closed, NOW)
    assert {o.topic for o in outputs} == {CAT.out("500000"), CAT.audit}


def test_hit_rates_sum_the_partitions_and_leave_expired_operations_out_of_the_rate() -> None:
    parts = [
        {count_key("cloned_plate", "confirmed"): 1, count_key("cloned_plate", "false_alarm"): 2},
        {count_key("cloned_plate", "false_alarm"): 1, count_key("cloned_plate", "expired"): 5},
        {"nonsense": 3, count_key("cloned_plate", "unheard_of"): 1},
    ]
    rates = hit_rates(parts)
    assert rates["cloned_plate"]["outcomes"] == {
        "confirmed": 1,
        "false_alarm": 3,
        "inconclusive": 0,
        "expired": 5,
    }
    assert rates["cloned_plate"]["closed"] == 4 and rates["cloned_plate"]["confirmed_rate"] == 0.25
    assert rates["multi_region"]["confirmed_rate"] is None  # nothing judged yet
