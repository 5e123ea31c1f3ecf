"""The demo's cooperation request (协查): 泸县 asks 荣昌 and 重庆 to locate a vehicle; they answer.

``demo_request`` is sent about 15 s in, ``demo_answers`` about 10 s later (荣昌 accepts, then answers
with an evidence reference; 重庆 declines), and ``request_lines`` shows the requester's threads, as
`rax request list` would, at the end.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from ops.centre.requests import read_threads
from schemas.kafka_settings import KafkaSettings
from schemas.requests import Attachment, CooperationRequest, RequestAnswer, answer_id
from schemas.topics import Catalogue

__all__ = ["REQUESTER", "demo_answers", "demo_request", "request_lines"]

REQUESTER, PARTNER, PROVINCE = "510521", "500153", "500000"  # 泸县, 荣昌, 重庆


def demo_request(plate: str) -> CooperationRequest:
    """泸县's request about ``plate`` (a fugitive's vehicle), due in an hour."""
    now = datetime.now(UTC)
    return CooperationRequest(
        request_id=str(uuid.uuid4()),
        requester=REQUESTER,
        recipients=(PARTNER, PROVINCE),
        kind="locate_vehicle",
        category="fugitive",
        purpose="interception",
        legal_basis="刑事诉讼法 第一百五十条; 泸公刑立字〔2026〕123号",
        priority="high",
        respond_by=now + timedelta(hours=1),
        sent_at=now,
        operator="510521-0042",
        plate=plate,
        details="the fugitive's car, last seen on G85 towards 荣昌",
    )


def demo_answers(req: CooperationRequest) -> list[RequestAnswer]:
    """荣昌 accepts and answers with an evidence reference; 重庆 declines."""
    now = datetime.now(UTC)
    evidence = Attachment(
        uri="https://evidence.500153.example/demo/k12.jpg", sha256="9" * 64, media_type="image/jpeg"
    )

    def reply(region: str, status: str, **fields: object) -> RequestAnswer:
        return RequestAnswer.model_validate(
            {
                "answer_id": answer_id(req.request_id, region, status),
                "request_id": req.request_id,
                "region": region,
                "status": status,
                "at": now,
                "operator": f"{region}-0007",
                **fields,
            }
        )

    return [
        reply(PARTNER, "accepted"),
        reply(PARTNER, "answered", text="seen at 荣昌 K12, heading east", attachments=[evidence]),
        reply(PROVINCE, "declined", reason="no checkpoint of ours on that road"),
    ]


def request_lines(settings: KafkaSettings, cat: Catalogue) -> list[str]:
    """One line per thread of the requester: who was asked and where each answer stands."""
    threads = read_threads(settings, cat, REQUESTER)
    lines = [f"cooperation requests of {REQUESTER}: {len(threads)}"]
    for thread in sorted(threads.values(), key=lambda t: t.request.sent_at):
        r = thread.request
        statuses = "  ".join(f"{region}: {status}" for region, status in thread.statuses().items())
        lines.append(f"  {r.request_id[:8]} {r.kind.value} {r.plate}  {statuses}")
    return lines
