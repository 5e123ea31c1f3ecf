"""Alerts signed end to end: the issuing region's Ed25519 signature over an alert's canonical content.

The canonical content is the alert's JSON (``model_dump(mode="json")``: field names, UTC times) without
``region_signature``, keys sorted, by orjson: the same bytes whoever re-encodes the validated alert (the
connector, the control app putting it in a delivery, a recipient). The signed bytes are the region,
the key id and the signing time, then that content, in context ``alert`` (``schemas.crypto.sign``), so
a batch signature never passes for an alert's. A recipient checks it with ``verify_alert`` against the
zone's published keys: the key must be a ``sign`` key of the alert's ``sender_region`` valid when it
signed (an alert relayed after a rotation still verifies under the key of its time).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

import orjson
from cryptography.hazmat.primitives.asymmetric import ed25519

from schemas.alerts import Alert, AlertSignature
from schemas.crypto.material import raw_public, sign_public
from schemas.crypto.signing import sign, verify
from schemas.keys import KeyPurpose, RegionKey, key_id_of, keys_valid_at

__all__ = ["ALERT_CONTEXT", "AlertVerdict", "alert_content", "sign_alert", "verify_alert"]

ALERT_CONTEXT: Final = "alert"


def alert_content(alert: Alert) -> bytes:
    """The canonical bytes an alert's signature covers: its JSON without the signature, keys sorted."""
    fields = alert.model_dump(mode="json", exclude={"region_signature"})
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def _signed(alert: Alert, region: str, key_id: str, signed_at: datetime) -> bytes:
    # the time as epoch milliseconds: the same bytes however the datetime's zone object was built
    head = f"{region}\x00{key_id}\x00{round(signed_at.timestamp() * 1000)}\x00".encode("ascii")
    return head + alert_content(alert)


def sign_alert(
    alert: Alert,
    private: ed25519.Ed25519PrivateKey,
    region: str | None = None,
    now: datetime | None = None,
) -> Alert:
    """``alert`` with ``region``'s signature (default its sender region) by ``private``, replacing any."""
    region = region or alert.sender_region
    key_id = key_id_of(raw_public(private))
    signed_at = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    value = sign(private, ALERT_CONTEXT, _signed(alert, region, key_id, signed_at))
    signature = AlertSignature(
        region=region,
        key_id=key_id,
        signed_at=signed_at,
        value=base64.urlsafe_b64encode(value).rstrip(b"=").decode("ascii"),
    )
    return alert.model_copy(update={"region_signature": signature})


@dataclass(frozen=True, slots=True)
class AlertVerdict:
    """What a recipient learns from an alert's signature: ``valid`` (``signed_by`` issued it),
    ``invalid`` (``reason`` says why) or ``absent`` (unsigned)."""

    status: Literal["valid", "invalid", "absent"]
    signed_by: str | None = None
    key_id: str | None = None
    reason: str = ""


def verify_alert(alert: Alert, zone_keys: Iterable[RegionKey]) -> AlertVerdict:
    """Check ``alert``'s region signature against the zone's published keys ``zone_keys``."""
    sig = alert.region_signature
    if sig is None:
        return AlertVerdict("absent", reason="the alert carries no region signature")
    if sig.region != alert.sender_region:
        return AlertVerdict(
            "invalid",
            key_id=sig.key_id,
            reason=f"signed as {sig.region}, but the alert's sender region is {alert.sender_region}",
        )
    valid = {k.key_id: k for k in keys_valid_at(zone_keys, sig.region, KeyPurpose.SIGN, sig.signed_at)}
    key = valid.get(sig.key_id)
    if key is None:
        return AlertVerdict(
            "invalid",
            key_id=sig.key_id,
            reason=f"{sig.key_id} is not a sign key of {sig.region} valid when the alert was signed",
        )
    try:
        value = base64.urlsafe_b64decode(sig.value + "==")
    except (binascii.Error, ValueError):
        return AlertVerdict("invalid", key_id=sig.key_id, reason="the signature is not base64url")
    if not verify(
        sign_public(key), value, ALERT_CONTEXT, _signed(alert, sig.region, sig.key_id, sig.signed_at)
    ):
        return AlertVerdict(
            "invalid", key_id=sig.key_id, reason="the signature does not verify: the alert was changed"
        )
    return AlertVerdict("valid", signed_by=sig.region, key_id=sig.key_id)
