"""What a processor tells the control app of each delivery it made: a small notice on the control inbox.

The control app tracks every delivery for acknowledgements, outcomes and deadlines. It needs a dozen
facts of it, not the delivery: decoding a whole ``Delivery`` (the alert or match inside, validated
again) cost more than a quarter of the app's CPU at 2,000 alerts/s. So a processor writes the delivery to
the recipient and this notice to ``Catalogue.control_inbox`` (kind ``notice``, key the delivery id), in the
same transaction. ``DeliveryNotice.of`` is the one place the facts are taken from a delivery.
"""

from __future__ import annotations

from pydantic import Field

from schemas.acks import BreachStage
from schemas.alerts import Alert
from schemas.base import SINGLE_LINE, DigestId, ShortText, UtcDatetime, WireModel
from schemas.cap import Urgency
from schemas.delivery import Delivery, DeliveryKind
from schemas.fields import RegionCode
from schemas.vocab import Action, Priority

__all__ = ["DeliveryNotice", "alert_priority"]

_PRIORITY = {
    Urgency.IMMEDIATE: Priority.URGENT,
    Urgency.EXPECTED: Priority.HIGH,
    Urgency.FUTURE: Priority.NORMAL,
}


def alert_priority(alert: Alert) -> Priority:
    """The priority an alert's answers are held to: from the urgency of its first info block."""
    return _PRIORITY.get(alert.info[0].urgency, Priority.LOW) if alert.info else Priority.NORMAL


class DeliveryNotice(WireModel):
    """One delivery as the control app tracks it (acks, outcomes, deadlines)."""

    delivery_id: DigestId = Field(description="The delivery's id (the record's key too).")
    recipient: RegionCode = Field(description="The region it was delivered to.")
    owner: RegionCode = Field(description="Whose data: the entry's owner or the alert's sender region.")
    kind: DeliveryKind = Field(description="What was delivered.")
    subject_id: str = Field(
        min_length=1,
        max_length=256,
        pattern=SINGLE_LINE,
        description="The watchlist entry id, alert identifier (CAP: up to 256) or operation id.",
    )
    action: Action = Field(description="What the owner asks of the recipient.")
    priority: Priority = Field(description="How urgently the owner needs an answer (sets deadlines).")
    category: ShortText = Field(description="The category of the entry or alert.")
    produced_at: UtcDatetime = Field(description="When the processor produced the delivery, UTC.")
    checkpoint_id: ShortText | None = Field(default=None, description="Matches: where the plate was read.")
    entry_id: ShortText | None = Field(default=None, description="Matches: the entry matched.")
    breach_of: DigestId | None = Field(default=None, description="Breach notices: the late delivery.")
    breach_stage: BreachStage | None = Field(default=None, description="Breach notices: which answer.")

    @classmethod
    def of(cls, d: Delivery) -> DeliveryNotice:
        """The notice of ``d``, validated (measured faster than ``model_construct``, which fills defaults)."""
        fields: dict[str, object] = {
            "delivery_id": d.delivery_id,
            "recipient": d.recipient,
            "owner": d.owner,
            "kind": d.kind,
            "produced_at": d.produced_at,
            "action": Action.NOTIFY,
            "priority": Priority.NORMAL,
            "category": "other",
        }
        if d.match is not None:
            m = d.match
            fields.update(
                subject_id=m.entry_id,
                action=m.action,
                priority=m.priority,
                category=m.category.value,
                checkpoint_id=m.checkpoint_id,
                entry_id=m.entry_id,
            )
        elif d.alert is not None:
            a = d.alert
            fields.update(
                subject_id=a.identifier,
                action=a.action_code or Action.NOTIFY,
                priority=alert_priority(a),
                category=a.category.value,
            )
        elif d.breach is not None:
            b = d.breach
            fields.update(
                subject_id=b.subject_id,
                priority=b.priority,
                breach_of=b.delivery_id,
                breach_stage=b.stage,
            )
        elif d.operation is not None:
            # the operation's priority sets its acknowledgement deadline, as an entry's does a match's
            o = d.operation
            fields.update(subject_id=o.operation_id, priority=o.priority, category=o.category.value)
        elif d.request is not None:
            r = d.request
            fields.update(
                subject_id=r.request_id, action=r.kind.action, priority=r.priority, category=r.category.value
            )
        elif d.answer is not None:
            fields.update(subject_id=d.answer.request_id)
        else:
            assert d.closure is not None  # the model guarantees exactly one payload
            fields.update(subject_id=d.closure.operation_id)
        return cls.model_validate(fields)
