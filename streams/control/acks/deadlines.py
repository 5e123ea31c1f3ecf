"""When answers are due, and the deadline breach (with its delivery to the owner) when one is late.

``DueQueue`` is an in-memory heap of (due, delivery id, stage), rebuilt from the deliveries store
after a restart; a popped item is checked against the store, so stale and repeated items are harmless.
The caller stores the breached stage in the same transaction as the breach, so it is raised once.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime

from schemas.acks import BreachStage, DeadlineBreach, breach_id
from schemas.audit import AuditReason, AuditRecord, Decision, audit_id
from schemas.codec import encode
from schemas.delivery import Delivery, DeliveryKind, delivery_id
from schemas.topics import Catalogue
from schemas.vocab import Priority
from streams.control.acks.logic import owed
from streams.control.common import Output, from_epoch, to_epoch
from streams.control.config import DeadlinePolicy
from streams.control.state import DeliveryState

__all__ = ["BreachResult", "Due", "DueQueue", "answered_at", "breach", "due_items", "with_breached"]

Due = tuple[float, str, str]  # (due epoch seconds, delivery id, BreachStage)

#: What a late recipient did not do, as a breach's audit record says it (``<region> did not … by …``).
_DID_NOT = {BreachStage.ACKNOWLEDGE: "acknowledge", BreachStage.OUTCOME: "report an outcome"}


def answered_at(state: DeliveryState, stage: BreachStage) -> float | None:
    """When the app received the answer ``stage`` asks for (its clock), None while there is none; an
    outcome stored before its time was kept counts as given in time."""
    if stage == BreachStage.ACKNOWLEDGE:
        return state["received_at"]
    return None if state["outcome"] is None else state.get("outcome_at", float("-inf"))


def _in_time(state: DeliveryState, stage: BreachStage, due: float) -> bool:
    answered = answered_at(state, stage)
    return answered is not None and answered <= due


def due_items(policy: DeadlinePolicy, did: str, state: DeliveryState) -> list[Due]:
    """The deadlines a delivery is still owed (stages answered in time or breached left out): an answer
    received after its deadline breaches it still, even if it was decided before the timer fired."""
    items: list[Due] = []
    for stage in owed(state):
        if stage.value in state["breached"]:
            continue
        due = state["delivered_at"] + policy.seconds(stage, state["action"], state["priority"])
        respond_by = state.get("respond_by")
        if respond_by is not None:  # a request: the requester's deadline for the final answer
            due = respond_by if stage == BreachStage.OUTCOME else min(due, respond_by)
        if not _in_time(state, stage, due):
            items.append((due, did, stage.value))
    return items


@dataclass
class DueQueue:
    """Deadlines in due order."""

    _heap: list[Due] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, item: Due) -> None:
        heapq.heappush(self._heap, item)

    def pop_due(self, now: float) -> list[Due]:
        """Every item due at or before ``now``, removed from the queue."""
        out: list[Due] = []
        while self._heap and self._heap[0][0] <= now:
            out.append(heapq.heappop(self._heap))
        return out


@dataclass
class BreachResult:
    """The breach notice and what to produce: its delivery to the owner and its audit record."""

    breach: DeadlineBreach
    outputs: list[Output]


def breach(
    item: Due,
    state: DeliveryState,
    *,
    catalogue: Catalogue,
    now: datetime,
) -> BreachResult | None:
    """The breach of ``item`` if at ``now`` its answer is missing or was received after it was due, else
    None."""
    due, did, stage_name = item
    stage = BreachStage(stage_name)
    if _in_time(state, stage, due) or stage_name in state["breached"] or due > to_epoch(now):
        return None
    owner = state["owner"]
    notice = DeadlineBreach(
        breach_id=breach_id(did, stage),
        delivery_id=did,
        region=state["recipient"],
        owner=owner,
        subject_id=state["subject"],
        priority=Priority(state["priority"]),
        stage=stage,
        due_at=from_epoch(due),
        detected_at=now,
    )
    bid = delivery_id(notice.breach_id, did, owner)
    out = Delivery(
        delivery_id=bid,
        recipient=owner,
        kind=DeliveryKind.DEADLINE_BREACH,
        owner=owner,
        breach=notice,
        produced_at=now,
        source_time=now,
    )
    audit = AuditRecord(
        audit_id=audit_id(bid),
        delivery_id=bid,
        kind=DeliveryKind.DEADLINE_BREACH,
        recipient=owner,
        owner=owner,
        subject_id=state["subject"],
        decision=Decision.DISCLOSED,
        reason=AuditReason.OWNER,
        at=now,
        source_time=now,
        refers_to=did,
        detail=f"{state['recipient']} did not {_DID_NOT[stage]} by {from_epoch(due).isoformat()}",
    )
    outputs = [
        Output.delivery(catalogue.out(owner), out),
        # keyed by the late delivery: the breach follows its disclosure in one partition of the audit
        Output(catalogue.audit, did.encode(), encode(audit)),
    ]
    return BreachResult(notice, outputs)


def with_breached(state: DeliveryState, stage: str) -> DeliveryState:
    """A copy of ``state`` with ``stage`` recorded as breached (raised once, never again)."""
    new = DeliveryState(**state)
    new["breached"] = [*state["breached"], stage]
    return new
