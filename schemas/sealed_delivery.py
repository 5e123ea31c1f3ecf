"""Seal a delivery's payload to its recipient's key, and open it again on the recipient's side.

What stays in clear is what the exchange routes and accounts by: the delivery id, recipient, kind,
owner, agreement, purpose and times. The payload (the match with its plate, the alert, …) is the
field ``kind`` names, as JSON, sealed with HPKE (``schemas.crypto.seal``) and bound to those routing
fields: the opener rebuilds the binding from the record, so an envelope moved into another delivery,
or a delivery whose recipient, kind or owner was changed, does not open.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric import x25519

from schemas.crypto import OpenError, open_sealed, seal
from schemas.delivery import Delivery, payload_field
from schemas.keys import RegionKey
from schemas.sealed import SealedEnvelope

__all__ = ["PrivateKeyLookup", "delivery_aad", "open_delivery", "seal_delivery"]

#: the recipient's private seal key of a key id, or None when the region does not hold it
PrivateKeyLookup = Callable[[str], x25519.X25519PrivateKey | None]


def delivery_aad(d: Delivery) -> bytes:
    """What a sealed body is bound to: the routing fields a reader sees in clear."""
    return "\x00".join((d.delivery_id, d.recipient, d.kind.value, d.owner)).encode()


@lru_cache(maxsize=256)
def _public(raw: bytes) -> x25519.X25519PublicKey:
    return x25519.X25519PublicKey.from_public_bytes(raw)


def seal_delivery(d: Delivery, key: RegionKey, entry_details: SealedEnvelope | None = None) -> Delivery:
    """``d`` with its payload sealed to ``key`` (the recipient's current seal key).

    ``entry_details``: a blind entry's details the owner sealed to this recipient, forwarded unopened.
    """
    if key.region != d.recipient:
        raise ValueError(f"seal key {key.key_id} is {key.region}'s, the delivery is for {d.recipient}")
    field = payload_field(d.kind)
    body = orjson.dumps(getattr(d, field).model_dump(mode="json", exclude_none=True))
    envelope = seal(body, _public(key.raw), recipient=d.recipient, key_id=key.key_id, aad=delivery_aad(d))
    fields: dict[str, Any] = {name: getattr(d, name) for name in type(d).model_fields}
    fields[field] = None
    fields["sealed"] = envelope
    fields["entry_details"] = entry_details
    return Delivery(**fields)


def open_delivery(d: Delivery, private: PrivateKeyLookup) -> Delivery:
    """``d`` with its payload in clear (``d`` itself when it is not sealed).

    Raises ``OpenError`` when the region does not hold the key it was sealed to, the body does not open
    under the record's routing fields, or the opened payload does not belong to this delivery.
    """
    envelope = d.sealed
    if envelope is None:
        return d
    key = private(envelope.key_id)
    if key is None:
        raise OpenError(f"delivery {d.delivery_id} is sealed to key {envelope.key_id}, not held here")
    body = open_sealed(envelope, key, aad=delivery_aad(d))
    fields: dict[str, Any] = {name: getattr(d, name) for name in type(d).model_fields}
    fields["sealed"] = None
    fields[payload_field(d.kind)] = orjson.loads(body)
    try:
        return Delivery.model_validate(fields)
    except ValueError as exc:
        raise OpenError(f"delivery {d.delivery_id}: the opened payload is not its own: {exc}") from None
