"""Key pairs of a region: generation, the public record of a key, and loading keys from bytes."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Literal, overload

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from schemas.crypto.errors import KeyMaterialError
from schemas.keys import ALGORITHMS, KeyPurpose, RegionKey, key_id_of

__all__ = [
    "PrivateKey",
    "generate_private",
    "load_private_pem",
    "private_pem",
    "public_key_of",
    "public_record",
    "raw_public",
    "seal_public",
    "sign_public",
]

#: the private key of either purpose
PrivateKey = x25519.X25519PrivateKey | ed25519.Ed25519PrivateKey
PublicKey = x25519.X25519PublicKey | ed25519.Ed25519PublicKey

_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@overload
def generate_private(purpose: Literal[KeyPurpose.SEAL]) -> x25519.X25519PrivateKey: ...
@overload
def generate_private(purpose: Literal[KeyPurpose.SIGN]) -> ed25519.Ed25519PrivateKey: ...
@overload
def generate_private(purpose: KeyPurpose) -> PrivateKey: ...
def generate_private(purpose: KeyPurpose) -> PrivateKey:
    """A fresh private key for ``purpose`` from the operating system's CSPRNG."""
    if purpose is KeyPurpose.SEAL:
        return x25519.X25519PrivateKey.generate()
    return ed25519.Ed25519PrivateKey.generate()


def raw_public(private: PrivateKey) -> bytes:
    """The raw 32 bytes of the public half of ``private``."""
    return private.public_key().public_bytes(*_RAW)


def public_record(
    region: str, private: PrivateKey, valid_from: datetime, valid_until: datetime | None = None
) -> RegionKey:
    """The zone's record of the public half of ``private``."""
    purpose = KeyPurpose.SEAL if isinstance(private, x25519.X25519PrivateKey) else KeyPurpose.SIGN
    raw = raw_public(private)
    return RegionKey(
        region=region,
        key_id=key_id_of(raw),
        purpose=purpose,
        algorithm=ALGORITHMS[purpose],
        public_key=base64.b64encode(raw).decode("ascii"),
        valid_from=valid_from,
        valid_until=valid_until,
    )


def public_key_of(record: RegionKey) -> PublicKey:
    """The library's public key object for a zone key record."""
    if record.purpose is KeyPurpose.SEAL:
        return x25519.X25519PublicKey.from_public_bytes(record.raw)
    return ed25519.Ed25519PublicKey.from_public_bytes(record.raw)


def seal_public(record: RegionKey) -> x25519.X25519PublicKey:
    """The X25519 public key of a ``seal`` record, to seal to; refuses a ``sign`` record."""
    if record.purpose is not KeyPurpose.SEAL:
        raise KeyMaterialError(f"key {record.key_id} is a {record.purpose.value} key, not a seal key")
    return x25519.X25519PublicKey.from_public_bytes(record.raw)


def sign_public(record: RegionKey) -> ed25519.Ed25519PublicKey:
    """The Ed25519 public key of a ``sign`` record, to verify with; refuses a ``seal`` record."""
    if record.purpose is not KeyPurpose.SIGN:
        raise KeyMaterialError(f"key {record.key_id} is a {record.purpose.value} key, not a sign key")
    return ed25519.Ed25519PublicKey.from_public_bytes(record.raw)


def private_pem(private: PrivateKey) -> bytes:
    """``private`` as unencrypted PKCS#8 PEM: the store protects it by file mode, not by a passphrase."""
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_pem(data: bytes) -> PrivateKey:
    """A private key from PKCS#8 PEM; refuses anything but an X25519 or Ed25519 key."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyMaterialError(f"not an unencrypted PKCS#8 PEM private key: {exc}") from None
    if not isinstance(key, x25519.X25519PrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyMaterialError(f"not an X25519 or Ed25519 key: {type(key).__name__}")
    return key
