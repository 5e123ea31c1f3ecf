"""What a cooperation-request form or an operation's agreement form becomes: the wire records (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ops.centre.operations import AgreementTerms
from ops.console.actions import ActionError
from schemas.codec import readable
from schemas.requests import AnswerStatus, CooperationRequest, RequestAnswer
from schemas.sharing import RedactField
from schemas.vocab import Category

__all__ = ["attachments_of", "reply_of", "request_of", "terms_of"]


def _list(text: str) -> list[str]:
    return [p.strip() for p in text.replace("，", ",").replace("\n", ",").split(",") if p.strip()]


def _opt(form: Mapping[str, str], name: str) -> str | None:
    return (form.get(name) or "").strip() or None


def _utc(text: str | None) -> datetime | None:
    """A ``datetime-local`` field's value, read as UTC (the page says so); with an offset, that instant."""
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ActionError(f"not a time: {text!r}") from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def request_of(form: Mapping[str, str], region: str, officer: str, now: datetime) -> CooperationRequest:
    """The request a compose form asks for, sent now by ``officer`` of ``region``."""
    try:  # nan, inf or a deadline past year 9999 is no deadline either
        respond_by = now + timedelta(minutes=float(form.get("respond_within") or "60"))
    except (ValueError, OverflowError):
        raise ActionError("respond within: a number of minutes") from None
    fields: dict[str, Any] = {
        "request_id": str(uuid.uuid4()),
        "requester": region,
        "recipients": tuple(_list(form.get("recipients", ""))),
        "kind": form.get("kind", ""),
        "category": form.get("category", ""),
        "purpose": form.get("purpose", ""),
        "legal_basis": (form.get("legal_basis") or "").strip(),
        "priority": form.get("priority") or "normal",
        "respond_by": respond_by,
        "sent_at": now,
        "operator": officer,
        "plate": _opt(form, "plate"),
        "person": _opt(form, "person"),
        "checkpoint_id": _opt(form, "checkpoint"),
        "window_from": _utc(_opt(form, "window_from")),
        "window_to": _utc(_opt(form, "window_to")),
        "details": _opt(form, "details"),
    }
    try:
        return CooperationRequest.model_validate(fields)
    except ValueError as exc:
        raise ActionError(f"bad request: {readable(exc, 'request')}") from None


def attachments_of(text: str) -> list[dict[str, str]]:
    """``URI#sha256=HEX`` references, one a line or comma-separated (the files stay in the region's store)."""
    out = []
    for ref in _list(text):
        uri, sep, digest = ref.rpartition("#sha256=")
        if not sep or not uri:
            raise ActionError(f"attachment {ref!r}: write URI#sha256=HEX (only the reference is sent)")
        out.append({"uri": uri, "sha256": digest.lower()})
    return out


def reply_of(form: Mapping[str, str], region: str, officer: str, now: datetime) -> RequestAnswer:
    """The answer a request card's form asks for: accept, answer (text, attachments) or decline (reason)."""
    status = form.get("status", "")
    if status not in {s.value for s in AnswerStatus}:
        raise ActionError(f"unknown answer {status!r}")
    attachments = attachments_of(form.get("attachments", "")) if status == AnswerStatus.ANSWERED else []
    try:
        return RequestAnswer.model_validate(
            {
                "answer_id": str(uuid.uuid4()),
                "request_id": form.get("request_id", ""),
                "region": region,
                "status": status,
                "at": now,
                "operator": officer,
                "reason": _opt(form, "reason") if status == AnswerStatus.DECLINED else None,
                "text": _opt(form, "text"),
                "attachments": attachments,
            }
        )
    except ValueError as exc:
        raise ActionError(f"bad answer: {readable(exc, 'answer')}") from None


def terms_of(form: Mapping[str, str]) -> AgreementTerms:
    """The temporary agreement an operation owner's form asks for (``agree_operation`` sends it)."""
    try:
        categories = tuple(Category(c) for c in _list(form.get("categories", "")))
        unredact = tuple(RedactField(f) for f in _list(form.get("unredact", "")))
        hours = float(form.get("hours") or "24")
    except ValueError as exc:
        raise ActionError(f"bad agreement: {readable(exc, 'agreement')}") from None
    purpose, basis = (form.get("purpose") or "").strip(), (form.get("legal_basis") or "").strip()
    if not categories or not purpose or not basis or not 0 < hours <= 24 * 30:
        raise ActionError("agreement: name the categories, a purpose, the legal basis and 0–720 hours")
    return AgreementTerms(categories, unredact, purpose, basis, hours)
