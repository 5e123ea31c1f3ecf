"""The records of one alert as bytes: each model validated once per shape, the rest filled in per recipient.

An alert goes to a handful of regions and is refused to the rest of the zone, each decision with an
audit record: ~14 records (deliveries, their notices, audit records) per alert that differ only in the
recipient, its ids and its basis. Building, validating and serialising each through its model was the
larger part of the control app's CPU at 2,000 alerts/s. Here the first delivery of each *shape* (reason,
with or without agreement and purpose), the first notice and the first audit record are built through
their models, so every field and rule is checked against this alert; the others are the validated
record's JSON with the recipient's ids and basis put in (region codes and agreement names of the zone,
ids from ``delivery_id`` and ``audit_id``), and each such audit record is checked against the rules
between its fields (``schemas.audit.basis_problem``). A unit test decodes every record and compares it
with the one its model builds. A delivery sealed to its recipient's key (``schemas.seal_policy``) is built
and sealed whole (no template: its body is the recipient's ciphertext); its audit record names the key and
carries no plate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from schemas.alerts import Alert
from schemas.audit import AuditReason, AuditRecord, audit_id, basis_problem
from schemas.codec import encode
from schemas.delivery import Delivery, alert_subject, delivery_id, kind_for_alert
from schemas.delivery_notice import DeliveryNotice
from schemas.disclosure import Disclosure
from schemas.keys import RegionKey
from schemas.seal_policy import hides_plates
from schemas.sealed_delivery import seal_delivery

__all__ = ["AlertRecords"]

_Shape = tuple[AuditReason, bool, bool]


def _shape(decision: Disclosure) -> _Shape:
    return decision.reason, decision.agreement_id is None, decision.purpose is None


def _json(fields: dict[str, Any], changes: dict[str, Any]) -> bytes:
    return orjson.dumps({**fields, **changes})


class AlertRecords:
    """Builds the records of ``alert`` decided at ``now``, as the bytes to produce."""

    def __init__(self, alert: Alert, now: datetime) -> None:
        self.alert = alert
        self.now = now
        self.kind = kind_for_alert(alert)
        self._deliveries: dict[_Shape, dict[str, Any]] = {}
        self._notice: dict[str, Any] | None = None
        self._audit: tuple[AuditRecord, dict[str, Any]] | None = None

    def delivery_id(self, recipient: str) -> str:
        """The id of the alert's delivery to ``recipient``."""
        a = self.alert
        return delivery_id(a.identifier, alert_subject(a.sender_region, a.sender), recipient)

    def delivery(self, did: str, decision: Disclosure, key: RegionKey | None = None) -> tuple[bytes, bytes]:
        """The delivery of the alert to ``decision.recipient`` (a disclosure) and its inbox notice;
        sealed to ``key`` when given. The notice names the alert, never its text or plates."""
        changes: dict[str, Any] = {
            "delivery_id": did,
            "recipient": decision.recipient,
            "agreement_id": decision.agreement_id,
            "purpose": decision.purpose,
        }
        shape = _shape(decision)
        template = self._deliveries.get(shape) if key is None else None
        made: Delivery | None = None
        if template is None:
            made = self._build(changes)
            if key is None:
                body = encode(made)
                self._deliveries[shape] = orjson.loads(body)
            else:
                body = encode(seal_delivery(made, key))
        else:
            body = _json(template, changes)
        notice_changes = {"delivery_id": did, "recipient": decision.recipient}
        if self._notice is None:
            made = made or self._build(changes)
            notice = encode(DeliveryNotice.of(made))
            self._notice = orjson.loads(notice)
        else:
            notice = _json(self._notice, notice_changes)
        return body, notice

    def _build(self, changes: dict[str, Any]) -> Delivery:
        a = self.alert
        return Delivery(
            kind=self.kind,
            owner=a.sender_region,
            alert=a,
            produced_at=self.now,
            source_time=a.sent,
            **changes,
        )

    def audit(self, did: str, decision: Disclosure, key: RegionKey | None = None) -> bytes:
        """The audit record of the decision to deliver (or not) the alert to ``decision.recipient``;
        a delivery sealed to ``key`` (or refused for want of one) is recorded without the alert's plates."""
        changes: dict[str, Any] = {
            "audit_id": audit_id(did),
            "delivery_id": did,
            "recipient": decision.recipient,
            "decision": decision.decision,
            "reason": decision.reason,
            "agreement_id": decision.agreement_id,
            "purpose": decision.purpose,
            "plates": () if hides_plates(decision, key) else self.alert.plates,
            "sealed_to": key.key_id if key is not None else None,
        }
        if self._audit is None:
            a = self.alert
            made = AuditRecord(
                kind=self.kind,
                owner=a.sender_region,
                subject_id=a.identifier,
                at=self.now,
                source_time=a.sent,
                **changes,
            )
            body = encode(made)
            self._audit = made, orjson.loads(body)
            return body
        model, fields = self._audit
        problem = basis_problem({**model.__dict__, **changes})  # audit_id is derived above
        if problem is not None:
            raise ValueError(f"audit record of delivery {did}: {problem}")
        return _json(fields, changes)
