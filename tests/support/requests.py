"""Cooperation requests and answers for tests: one factory for unit and integration tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.requests import AnswerStatus, Attachment, CooperationRequest, RequestAnswer

__all__ = ["answer", "request"]


def request(requester: str, *recipients: str, **over: Any) -> CooperationRequest:
    """A locate-vehicle request of ``requester`` to ``recipients``, sent now, due in an hour."""
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "request_id": str(uuid.uuid4()),
        "requester": requester,
        "recipients": recipients,
        "kind": "locate_vehicle",
        "category": "stolen_vehicle",
        "purpose": "investigation",
        "legal_basis": "刑事诉讼法 第一百一十五条; 立案决定书 泸公刑立字〔2026〕123号",
        "priority": "high",
        "respond_by": now + timedelta(hours=1),
        "sent_at": now,
        "operator": "510521-0042",
        "plate": "川E12345",
        "details": "white SUV, seen heading east on G85",
    }
    fields.update(over)
    return CooperationRequest.model_validate(fields)


def answer(req: CooperationRequest, region: str, status: str, **over: Any) -> RequestAnswer:
    """``region``'s answer to ``req`` with ``status``; a decline says why, an answer attaches a file."""
    fields: dict[str, Any] = {
        "answer_id": str(uuid.uuid4()),
        "request_id": req.request_id,
        "region": region,
        "status": status,
        "at": datetime.now(UTC),
        "operator": f"{region}-0007",
    }
    if status == AnswerStatus.DECLINED:
        fields["reason"] = "no checkpoint on that road"
    if status == AnswerStatus.ANSWERED:
        fields["text"] = "seen at 荣昌 K12 at 10:02, heading east"
        fields["attachments"] = [
            Attachment(uri="https://evidence.500153.example/k12/0042.jpg", sha256="0" * 64)
        ]
    fields.update(over)
    return RequestAnswer.model_validate(fields)
