"""Pure rules of the centre sink: the request for one delivery, and what an HTTP answer means."""

from __future__ import annotations

from enum import Enum

__all__ = ["Verdict", "request_headers", "verdict"]


class Verdict(Enum):
    """What to do after one POST."""

    DONE = "done"  # 2xx, or 409: the centre already has it (the idempotency key did its job)
    RETRY = "retry"  # 5xx, 408, 429 or no answer: the centre will be back; never skip a delivery
    REJECT = "reject"  # any other 4xx: the centre refuses this delivery; dead-letter it with the reason


def verdict(status: int | None) -> Verdict:
    if status is None or status >= 500 or status in (408, 429):
        return Verdict.RETRY
    if 200 <= status < 300 or status == 409:
        return Verdict.DONE
    return Verdict.REJECT


def request_headers(delivery_id: str, token: str | None) -> dict[str, str]:
    """Headers of the POST: the delivery id is the idempotency key, so a re-sent delivery is recognised."""
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": delivery_id,
        "X-RAX-Delivery-Id": delivery_id,
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers
