"""Seal a body to a recipient's X25519 key and open it again: RFC 9180 HPKE from ``cryptography``.

One call of the library's single-shot HPKE per body (a fresh ephemeral key each time, so equal bodies
give unequal ciphertexts); nothing here composes primitives. The associated data goes into HPKE's
``info``: the library's single-shot API has no separate AAD, and RFC 9180 §8.1 says single-shot users
put their auxiliary authenticated data there; a body opened under any other ``aad`` fails.
"""

from __future__ import annotations

import base64
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from schemas.crypto.errors import OpenError
from schemas.sealed import SEAL_SUITE, SealedEnvelope

__all__ = ["open_sealed", "seal"]

_SUITE: Final = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.CHACHA20_POLY1305)

#: prefixed to the caller's aad so a RAX seal never opens in another protocol using the same keys
_CONTEXT: Final = b"rax.seal.v1\x00"


def seal(
    body: bytes, recipient_public: x25519.X25519PublicKey, *, recipient: str, key_id: str, aad: bytes
) -> SealedEnvelope:
    """``body`` sealed to ``recipient``'s key ``key_id``, bound to ``aad`` (e.g. the delivery id)."""
    out = _SUITE.encrypt(body, recipient_public, info=_CONTEXT + aad)
    return SealedEnvelope(
        suite=SEAL_SUITE, recipient=recipient, key_id=key_id, ciphertext=base64.b64encode(out).decode("ascii")
    )


def open_sealed(envelope: SealedEnvelope, private: x25519.X25519PrivateKey, *, aad: bytes) -> bytes:
    """The body of ``envelope``; raises OpenError for a wrong key, another ``aad`` or a changed byte.

    ``aad`` is rebuilt by the opener from the record around the envelope, never taken from it.
    """
    try:
        return _SUITE.decrypt(envelope.ciphertext_bytes, private, info=_CONTEXT + aad)
    except (InvalidTag, ValueError) as exc:
        raise OpenError(
            f"sealed body for key {envelope.key_id} does not open: {type(exc).__name__}"
        ) from None
