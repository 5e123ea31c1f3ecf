"""The owner's side of a blind entry: tokens instead of the plate, details sealed to each entitled partner.

``make_blind`` turns a clear entry into a blind one before it leaves the owner: the plate becomes
tokens under the zone's matching key (``schemas.blind``), and the plate and description are sealed to
every member region the owner's agreements entitle to the entry's category now, minus that agreement's
redactions (a partner without a published seal key gets no details: it learns of a match, not of the
entry). ``open_entry_details`` is the partner's side, on a delivery of a blind match.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric import x25519

from schemas.blind import MatchingKey, blind_plate
from schemas.crypto import OpenError, open_sealed, seal
from schemas.delivery import Delivery
from schemas.disclosure import may_disclose
from schemas.keys import KeyPurpose, current_key
from schemas.sealed import SealedEnvelope
from schemas.sealed_delivery import PrivateKeyLookup
from schemas.sharing import RedactField
from schemas.watchlist import WatchlistEntry
from schemas.zone import Zone

__all__ = ["details_aad", "make_blind", "open_entry_details", "with_entry_details"]


def details_aad(entry_id: str, recipient: str) -> bytes:
    """What a blind entry's sealed details are bound to: the entry and the partner."""
    return f"rax.entry-details\x00{entry_id}\x00{recipient}".encode()


def make_blind(entry: WatchlistEntry, key: MatchingKey, zone: Zone, now: datetime) -> WatchlistEntry:
    """``entry`` as a blind entry under ``key``; raises ValueError for a partial or already blind one."""
    if entry.plate is None:
        raise ValueError(f"entry {entry.entry_id} is blind already")
    details: list[SealedEnvelope] = []
    for region in sorted(zone.codes - {entry.owner}):
        d = may_disclose(zone, entry.owner, region, entry.category, now)
        recipient_key = current_key(zone.keys, region, KeyPurpose.SEAL, now)
        if not d.disclosed or recipient_key is None:
            continue
        body: dict[str, Any] = {"plate": entry.plate, "tolerance": entry.tolerance}
        if entry.description is not None and RedactField.DESCRIPTION not in d.redact:
            body["description"] = entry.description
        public = x25519.X25519PublicKey.from_public_bytes(recipient_key.raw)
        aad = details_aad(entry.entry_id, region)
        details.append(
            seal(orjson.dumps(body), public, recipient=region, key_id=recipient_key.key_id, aad=aad)
        )
    fields = entry.model_dump(exclude={"plate_warnings"})
    fields.update(
        plate=None,
        description=None,
        blind=blind_plate(key, entry.plate, entry.tolerance),
        sealed_details=tuple(details),
    )
    return WatchlistEntry.model_validate(fields)


def open_entry_details(delivery: Delivery, keys: PrivateKeyLookup) -> dict[str, Any] | None:
    """The blind entry's details in a delivery of its match (None when the owner sealed none for it).

    Raises ``OpenError`` when they are sealed to a key not held, do not open for this delivery, or are
    not a JSON object with a string ``plate`` (and ``description``, if any).
    """
    envelope = delivery.entry_details
    if envelope is None:
        return None
    if delivery.match is None:
        raise OpenError(f"delivery {delivery.delivery_id}: open the delivery before its entry details")
    private = keys(envelope.key_id)
    if private is None:
        raise OpenError(
            f"entry details of {delivery.delivery_id} are sealed to key {envelope.key_id}, not held"
        )
    aad = details_aad(delivery.match.entry_id, delivery.recipient)
    body = open_sealed(envelope, private, aad=aad)
    try:
        details = orjson.loads(body)
    except orjson.JSONDecodeError:
        details = None
    # the owner (another region) sealed them: check their form before a reader shows them
    if (
        not isinstance(details, dict)
        or not isinstance(details.get("plate"), str)
        or not isinstance(details.get("description", ""), str)
    ):
        raise OpenError(
            f"entry details of {delivery.delivery_id} are not an entry's details (plate, description)"
        )
    return details


def with_entry_details(delivery: Delivery, keys: PrivateKeyLookup) -> Delivery:
    """``delivery`` (opened) with its blind entry's details in the match notice, as a reader shows them:
    the entry's plate for the token in ``matched_plate`` and its description; ``delivery`` itself when
    it carries none, or when they are sealed to a key not held (a reader shows the token then)."""
    if delivery.match is None or delivery.entry_details is None:
        return delivery
    try:
        details = open_entry_details(delivery, keys)
    except OpenError:
        return delivery
    if not details:
        return delivery
    shown: dict[str, Any] = {"matched_plate": details.get("plate") or delivery.match.matched_plate}
    if details.get("description"):
        shown["description"] = details["description"]
    return delivery.model_copy(update={"match": delivery.match.model_copy(update=shown)})
