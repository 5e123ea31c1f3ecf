"""Deliveries as the control app keeps them, and acknowledgements applied to them (received, outcomes).

An acknowledgement must come from the delivery's recipient on its own acks topic, keyed by the delivery
id, and answer a delivery the app knows; an ack id already applied changes nothing. The first answer of
any kind acknowledges the delivery (``received_at``); a final outcome replaces an earlier one (verified,
then intercepted).

Time to acknowledge is measured on the exchange's clock: from when the delivery was made
(``produced_at``, the processor's clock) to when the control app received the first answer — never
from the centre's own ``at``, which a region could date as it pleased. ``at`` must still be plausible
(``schemas.times.ack_time_problem``: not before the delivery, not ahead of the exchange's clock).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from schemas.acks import FINAL_OUTCOMES, Acknowledgement, BreachStage
from schemas.codec import DecodeError, decode
from schemas.delivery import Delivery, DeliveryKind
from schemas.delivery_notice import DeliveryNotice
from schemas.dlq import DlqReason, DlqStage
from schemas.inbox import InboxKind
from schemas.times import TimeBounds, ack_time_problem
from schemas.vocab import Action
from streams.control.common import Rejected, Unresolved, from_epoch, to_epoch
from streams.control.state import DeliveryState

__all__ = ["AckResult", "apply_ack", "delivery_state", "notice_state", "owed", "read_notice"]

#: Actions whose deliveries are owed a final outcome, not only an acknowledgement.
_ACTING = {Action.INTERCEPT.value, Action.DISCREET_REPORT.value}


def notice_state(n: DeliveryNotice) -> DeliveryState:
    """What the app keeps of the delivery ``n`` announces."""
    return DeliveryState(
        recipient=n.recipient,
        owner=n.owner,
        kind=n.kind.value,
        subject=n.subject_id,
        action=n.action.value,
        priority=n.priority.value,
        category=n.category,
        delivered_at=to_epoch(n.produced_at),
        checkpoint=n.checkpoint_id,
        entry=n.entry_id,
        received_at=None,
        outcome=None,
        acks=[],
        breached=[],
    )


def read_notice(raw: bytes | None, kind: InboxKind = InboxKind.NOTICE) -> DeliveryNotice:
    """The notice of one inbox record: a ``DeliveryNotice``, or (kind ``delivery``, as written before
    notices) the whole ``Delivery``. Raises ``Rejected``."""
    try:
        if kind == InboxKind.DELIVERY:
            return DeliveryNotice.of(decode(raw, Delivery))
        return decode(raw, DeliveryNotice)
    except DecodeError as exc:
        raise Rejected(exc.reason, DlqStage.DECODE, str(exc)) from None


def delivery_state(
    raw: bytes | None, kind: InboxKind = InboxKind.NOTICE
) -> tuple[DeliveryNotice, DeliveryState]:
    """A delivery notice (or a whole delivery, by ``kind``) and what the app keeps of it.

    Raises ``Rejected``.
    """
    notice = read_notice(raw, kind)
    return notice, notice_state(notice)


def owed(state: DeliveryState) -> list[BreachStage]:
    """The answers a delivery is owed: none for the owner's own copy or a breach notice; a cooperation
    request is owed an acknowledgement (accepted, or any answer) and a final answer (its outcome)."""
    if state["kind"] == DeliveryKind.DEADLINE_BREACH or state["recipient"] == state["owner"]:
        return []
    stages = [BreachStage.ACKNOWLEDGE]
    kinds = (DeliveryKind.MATCH.value, DeliveryKind.ALERT.value)
    if state["kind"] == DeliveryKind.REQUEST.value or (state["kind"] in kinds and state["action"] in _ACTING):
        stages.append(BreachStage.OUTCOME)
    return stages


@dataclass(frozen=True)
class AckResult:
    """The delivery after the ack, how long the first answer took (by the app's clock), what it replaced."""

    delivery_id: str
    state: DeliveryState | None  # None: a duplicate, nothing changed
    ack: Acknowledgement
    seconds_to_acknowledge: float | None = None
    previous_outcome: str | None = None


def apply_ack(
    raw: bytes | None,
    topic_region: str,
    deliveries: Mapping[str, DeliveryState],
    key: str | None = None,
    *,
    received: datetime,
    bounds: TimeBounds,
) -> AckResult:
    """Apply one record of ``rax.in.<topic_region>.acks``; raises ``Rejected`` / ``Unresolved``.

    ``key``: the record's key, which must be the delivery id (the deliveries are partitioned by it);
    ``received``: when the control app received it (its clock); ``bounds``: the zone's time bounds.
    """
    try:
        ack = decode(raw, Acknowledgement)
    except DecodeError as exc:
        raise Rejected(exc.reason, DlqStage.DECODE, str(exc)) from None
    if ack.region != topic_region:
        raise Rejected(
            DlqReason.REGION_MISMATCH,
            DlqStage.VALIDATE,
            f"an acknowledgement by region {ack.region} on the acks topic of region {topic_region}",
        )
    if key is not None and key != ack.delivery_id:
        raise Rejected(
            DlqReason.SCHEMA_VIOLATION,
            DlqStage.VALIDATE,
            f"keyed {key!r:.80}, not by the delivery id it acknowledges ({ack.delivery_id})",
        )
    state = deliveries.get(ack.delivery_id)
    if state is None:
        raise Unresolved(f"acknowledges delivery {ack.delivery_id}, which is not known")
    if state["recipient"] != ack.region:
        raise Rejected(
            DlqReason.NOT_AUTHORISED,
            DlqStage.VALIDATE,
            f"delivery {ack.delivery_id} went to region {state['recipient']}, not to {ack.region}",
        )
    if ack.ack_id in state["acks"]:
        return AckResult(ack.delivery_id, None, ack)
    problem = ack_time_problem(ack, from_epoch(state["delivered_at"]), bounds, received)
    if problem is not None:
        raise Rejected(DlqReason.IMPLAUSIBLE_TIME, DlqStage.VALIDATE, problem)
    new = DeliveryState(**state)
    new["acks"] = [*state["acks"], ack.ack_id]
    seconds = None
    if state["received_at"] is None:
        new["received_at"] = to_epoch(received)
        seconds = max(0.0, to_epoch(received) - state["delivered_at"])
    previous = state["outcome"]
    if ack.outcome in FINAL_OUTCOMES:
        new["outcome"] = ack.outcome.value
        if previous is None:
            new["outcome_at"] = to_epoch(received)
    return AckResult(ack.delivery_id, new, ack, seconds, previous)
