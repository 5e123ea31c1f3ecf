"""The demo's cooperation request (协查): one region asks a partner and a third region to locate a
vehicle; they answer.

The parties come from the zone (ops/demo/roles.py; in 川渝 泸县 asks 荣昌 and 重庆). ``demo_request`` is
sent about 15 s in, ``demo_answers`` about 10 s later (the partner accepts, then answers with an
evidence reference; the third declines), and ``request_lines`` shows the requester's threads, as
`rax request list` would, at the end.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ops.centre.requests import read_threads
from ops.demo.roles import REQUEST_CATEGORY, REQUEST_PURPOSE, RequestRoles
from ops.keys import KeyStore, SealKeyLookup
from schemas.kafka_settings import KafkaSettings
from schemas.requests import Attachment, CooperationRequest, RequestAnswer, answer_id
from schemas.topics import Catalogue

__all__ = ["CHUANYU", "demo_answers", "demo_request", "request_lines"]

#: the 川渝 demo's parties: 泸县 asks 荣昌 (answers) and 重庆 (declines)
CHUANYU = RequestRoles("510521", "500153", "500000")


def demo_request(plate: str, roles: RequestRoles = CHUANYU, towards: str = "荣昌") -> CooperationRequest:
    """The requester's request about ``plate`` (a fugitive's vehicle), due in an hour; ``towards``:
    where the car was last seen heading (the partner's name)."""
    now = datetime.now(UTC)
    return CooperationRequest(
        request_id=str(uuid.uuid4()),
        requester=roles.requester,
        recipients=(roles.partner, *((roles.declining,) if roles.declining else ())),
        kind="locate_vehicle",
        category=REQUEST_CATEGORY,
        purpose=REQUEST_PURPOSE,
        legal_basis=f"刑事诉讼法 第一百五十条; 立案决定书〔{now.year}〕123号",
        priority="high",
        respond_by=now + timedelta(hours=1),
        sent_at=now,
        operator=f"{roles.requester}-0042",
        plate=plate,
        details=f"the fugitive's car, last seen heading towards {towards}",
    )


def demo_answers(req: CooperationRequest) -> list[RequestAnswer]:
    """The first recipient accepts and answers with an evidence reference; any other declines."""
    now = datetime.now(UTC)
    partner, *others = req.recipients
    evidence = Attachment(
        uri=f"https://evidence.{partner}.example/demo/k12.jpg", sha256="9" * 64, media_type="image/jpeg"
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
        reply(partner, "accepted"),
        reply(partner, "answered", text="seen at our checkpoint K12, heading east", attachments=[evidence]),
        *(reply(r, "declined", reason="no checkpoint of ours on that road") for r in others),
    ]


def request_lines(
    settings: KafkaSettings, cat: Catalogue, requester: str, keys_dir: Path | None = None
) -> list[str]:
    """One line per thread of ``requester``: who was asked and where each answer stands; sealed threads
    opened with the demo's key store ``keys_dir`` (where the zone's agreements seal)."""
    keys = SealKeyLookup(KeyStore(keys_dir), requester) if keys_dir is not None else None
    threads = read_threads(settings, cat, requester, keys=keys)
    lines = [f"cooperation requests of {requester}: {len(threads)}"]
    for thread in sorted(threads.values(), key=lambda t: t.request.sent_at):
        r = thread.request
        statuses = "  ".join(f"{region}: {status}" for region, status in thread.statuses().items())
        lines.append(f"  {r.request_id[:8]} {r.kind.value} {r.plate}  {statuses}")
    return lines
