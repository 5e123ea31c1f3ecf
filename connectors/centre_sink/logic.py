"""Pure rules of the centre sink: the request for one delivery, and what an HTTP answer means."""

from __future__ import annotations

from enum import Enum

from schemas.blind_entries import with_entry_details
from schemas.codec import encode
from schemas.crypto import OpenError
from schemas.delivery import Delivery
from schemas.sealed_delivery import PrivateKeyLookup, open_delivery

__all__ = ["Verdict", "opened_body", "request_headers", "verdict"]


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


def opened_body(raw: bytes, keys: PrivateKeyLookup | None) -> bytes:
    """The body to POST: the delivery as it came, or opened if it is sealed (the centre gets clear JSON).

    Raises ``OpenError`` when a sealed delivery does not open with ``keys`` (or none were given).
    """
    if b'"sealed"' not in raw:  # cheap test first: most deliveries are not sealed
        return raw
    try:
        delivery = Delivery.model_validate_json(raw)
    except ValueError:
        return raw  # not a delivery this version reads: the centre decides, as before
    if delivery.sealed is None:
        return raw
    if keys is None:
        raise OpenError(f"delivery {delivery.delivery_id} is sealed and the sink was given no key store")
    return encode(with_entry_details(open_delivery(delivery, keys), keys))  # a blind entry's details too
