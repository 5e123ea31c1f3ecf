"""The wire form of a sealed body: HPKE ciphertext to one recipient key, with the id of that key."""

from __future__ import annotations

import base64
from typing import Final, Literal

from pydantic import Field

from schemas.base import WirePart
from schemas.fields import RegionCode
from schemas.keys import KeyId

__all__ = ["SEAL_SUITE", "SealedEnvelope"]

#: RFC 9180 base mode: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305
SEAL_SUITE: Final = "hpke-x25519-hkdfsha256-chacha20poly1305"

#: a sealed body stays far below Kafka's 1 MB record limit (base64 characters)
_MAX_CIPHERTEXT: Final = 262_144


class SealedEnvelope(WirePart):
    """A body only the holder of ``recipient``'s private key ``key_id`` can open (``schemas.crypto``).

    What the body is bound to (its associated data: the delivery id, the recipient, …) is not carried:
    the opener rebuilds it from the record's routing fields, so an envelope moved to another record
    does not open. Kafka and its operators see the suite, the recipient, the key id and the length.
    """

    suite: Literal["hpke-x25519-hkdfsha256-chacha20poly1305"] = Field(
        default=SEAL_SUITE, description="The HPKE suite (RFC 9180 base mode)."
    )
    recipient: RegionCode = Field(description="The region whose key the body is sealed to.")
    key_id: KeyId = Field(description="Which of the recipient's seal keys (schemas.keys.RegionKey).")
    ciphertext: str = Field(
        min_length=1,
        max_length=_MAX_CIPHERTEXT,
        pattern=r"^[A-Za-z0-9+/]*={0,2}$",
        description="HPKE encapsulated key followed by the AEAD ciphertext, standard base64.",
    )

    @property
    def ciphertext_bytes(self) -> bytes:
        """The raw HPKE output (encapsulated key || ciphertext)."""
        return base64.b64decode(self.ciphertext, validate=True)
