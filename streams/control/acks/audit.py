"""The act record of an acknowledgement on ``rax.audit``: who answered a delivery, how, and when.

Keyed by the acknowledged delivery's id, like its disclosure record, so an accountability trace finds
both in one partition, the act after the disclosure. The acting region is the record's recipient and
owner (reason ``owner``): an acknowledgement discloses nothing of another region.
"""

from __future__ import annotations

from datetime import datetime

from schemas.acks import Acknowledgement
from schemas.audit import AuditAct, AuditReason, AuditRecord, Decision, audit_id
from schemas.base import digest_id
from schemas.codec import encode
from schemas.delivery import DeliveryKind
from schemas.topics import Catalogue
from streams.control.common import Output
from streams.control.state import DeliveryState

__all__ = ["ack_audit"]


def ack_audit(cat: Catalogue, ack: Acknowledgement, state: DeliveryState, now: datetime) -> Output:
    """The act record of ``ack`` applied at ``now`` to the delivery ``state``."""
    record_id = digest_id("ack", ack.ack_id)
    note = f": {ack.note}" if ack.note else ""
    record = AuditRecord(
        audit_id=audit_id(record_id),
        delivery_id=record_id,
        kind=DeliveryKind(state["kind"]),
        recipient=ack.region,
        owner=ack.region,
        subject_id=state["subject"],
        decision=Decision.DISCLOSED,
        reason=AuditReason.OWNER,
        at=now,
        source_time=ack.at,
        act=AuditAct.ACKNOWLEDGED,
        actor=ack.operator,
        refers_to=ack.delivery_id,
        detail=f"{ack.outcome.value}{note}"[:1000],
    )
    return Output(cat.audit, ack.delivery_id.encode(), encode(record))
