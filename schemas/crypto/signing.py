"""Ed25519 signatures over canonical bytes, separated by context so one signature never serves twice.

The signed message is ``rax.sign.v1 NUL <context> NUL <data>``: a batch signature cannot be replayed as
an alert signature, nor one of another protocol using the same key. ``data`` must be canonical bytes
(the codec's JSON of a frozen model, or a MAC list); ``verify`` answers a bool and never raises for a
bad signature.
"""

from __future__ import annotations

from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

__all__ = ["SIGNATURE_LENGTH", "sign", "verify"]

SIGNATURE_LENGTH: Final = 64

_PREFIX: Final = b"rax.sign.v1\x00"


def _message(context: str, data: bytes) -> bytes:
    label = context.encode("utf-8")
    if b"\x00" in label or not label:
        raise ValueError("a signature context is a non-empty label without NUL")
    return _PREFIX + label + b"\x00" + data


def sign(private: ed25519.Ed25519PrivateKey, context: str, data: bytes) -> bytes:
    """The 64-byte Ed25519 signature of ``data`` in ``context`` (e.g. ``"batch"``, ``"alert"``)."""
    return private.sign(_message(context, data))


def verify(public: ed25519.Ed25519PublicKey, signature: bytes, context: str, data: bytes) -> bool:
    """Whether ``signature`` is ``public``'s signature of ``data`` in ``context``."""
    if len(signature) != SIGNATURE_LENGTH:
        return False
    try:
        public.verify(signature, _message(context, data))
    except InvalidSignature:
        return False
    return True
