"""What an officer's form becomes on the wire: an acknowledgement, or a CAP Alert / Update / Cancel."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from schemas.acks import Acknowledgement, Outcome
from schemas.alerts import Alert
from schemas.base import stable_event_id
from schemas.cap import Reference
from schemas.codec import readable
from schemas.operation import OperationClose, OperationOutcome, close_id

__all__ = ["ActionError", "alert_of", "answer_of", "close_of"]

_OUTCOMES = {"intercepted", "not_found", "verified"}


class ActionError(ValueError):
    """A form that asks for something not allowed (unknown action, reason not in the zone's list …)."""


def answer_of(
    form: Mapping[str, str], region: str, officer: str, reasons: tuple[str, ...], now: datetime
) -> Acknowledgement:
    """The acknowledgement a form asks for: ack → received, confirm → verified, reject → false_positive
    with a reason of the zone's list, outcome → intercepted / not_found / verified."""
    action, did = form.get("action", ""), form.get("delivery_id", "")
    reason: str | None = None
    if action == "ack":
        outcome = Outcome.RECEIVED
    elif action == "confirm":
        outcome = Outcome.VERIFIED
    elif action == "reject":
        outcome, reason = Outcome.FALSE_POSITIVE, form.get("reason", "")
        if reason not in reasons:
            raise ActionError(f"reject: the reason must be one of the zone's: {', '.join(reasons)}")
    elif action == "outcome" and form.get("outcome") in _OUTCOMES:
        outcome = Outcome(form["outcome"])
    else:
        raise ActionError(f"unknown action {action!r}")
    note = (form.get("note") or "").strip() or None
    try:
        return Acknowledgement(
            ack_id=stable_event_id("ack", did, region, outcome.value),
            delivery_id=did,
            region=region,
            outcome=outcome,
            at=now,
            operator=officer,
            note=note,
            reason=reason,
        )
    except ValueError as exc:
        raise ActionError(f"bad answer: {readable(exc, 'answer')}") from None


def alert_of(
    form: Mapping[str, str],
    region: str,
    sender: str,
    officer: str,
    earlier: Mapping[str, Reference],
    now: datetime,
) -> Alert:
    """The alert a compose form asks for; an Update or Cancel names one of ``earlier`` (this centre's)."""
    msg_type = form.get("msg_type", "Alert")
    refs: list[Reference] = []
    if msg_type in ("Update", "Cancel"):
        ref = earlier.get(form.get("references", ""))
        if ref is None:
            raise ActionError(f"{msg_type}: choose the earlier alert it is about")
        refs.append(ref)
    elif msg_type != "Alert":
        raise ActionError(f"unknown message type {msg_type!r}")
    plates = [p.strip() for p in form.get("plates", "").replace("，", ",").split(",") if p.strip()]
    headline = form.get("headline", "").strip()
    if not headline and msg_type != "Cancel":  # a cancel says all it needs by naming the earlier alert
        raise ActionError(f"{msg_type}: give it a headline (what the partner centres should look for)")
    try:
        return Alert.model_validate(
            {
                "identifier": f"RAX-{region}-{uuid.uuid4().hex[:16]}",
                "sender": sender,
                "sent": now.astimezone(UTC),
                "status": "Actual",
                "msg_type": msg_type,
                "source": officer,
                "scope": "Restricted",
                "restriction": "member command centres of the zone",
                "note": (form.get("note") or "").strip() or None,
                "references": refs,
                "info": [
                    {
                        "categories": ["Security"],
                        "event": headline or msg_type,
                        "headline": headline or None,
                        "urgency": "Immediate",
                        "severity": "Severe",
                        "certainty": "Likely",
                    }
                ],
                "sender_region": region,
                "category": form.get("category", "other"),
                "plates": plates,
            }
        )
    except ValueError as exc:
        raise ActionError(f"bad alert: {readable(exc, 'alert')}") from None


def close_of(form: Mapping[str, str], region: str, officer: str, now: datetime) -> OperationClose:
    """The owner's command closing one of its special operations with an outcome."""
    oid, outcome = form.get("operation_id", ""), form.get("outcome", "")
    if outcome not in {o.value for o in OperationOutcome}:
        raise ActionError(f"close: the outcome must be one of {', '.join(o.value for o in OperationOutcome)}")
    try:
        return OperationClose(
            close_id=close_id(oid, region, outcome),
            operation_id=oid,
            region=region,
            outcome=OperationOutcome(outcome),
            note=(form.get("note") or "").strip() or None,
            operator=officer,
            at=now,
        )
    except ValueError as exc:
        raise ActionError(f"bad close command: {readable(exc, 'close command')}") from None
