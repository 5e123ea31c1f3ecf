"""A region's record-MAC keys: 32-byte secrets shared by its connectors and the processors, never published.

Unlike the key pairs of ``schemas.keys`` (whose public halves the zone publishes), a MAC key is one
symmetric secret: whoever holds it can make records that pass as the region's. It lives in two places
only, both files 0600 in 0700 directories: the region's key store (``ops.keys``, where ``rax keys mac``
makes it and from where the region's connectors read it) and the processors' secret store (a directory
of ``<region>.mac`` files, ``streams.runtime.macs``). Never in Kafka, never in the zone.

A ``<region>.mac`` file is the JSON list of the region's MAC keys (``dump_mac_keys``), oldest first, with
their validity. Rotation works as for the public keys: a new key valid from now, the old one ending
``overlap`` later; a producer uses the newest key valid now (``current_mac_key``), a verifier accepts any
key of the record's region valid now, found by the key id the record names.

A key id is the first 16 hex characters of SHA-256 over a label and the secret: it names the secret
without revealing it (256 random bits cannot be guessed back from a hash).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from pydantic import (
    Field,
    FieldSerializationInfo,
    SecretStr,
    TypeAdapter,
    field_serializer,
    model_validator,
)

from schemas.base import UtcDatetime, WirePart
from schemas.fields import RegionCode
from schemas.keys import KeyId

__all__ = [
    "MAC_KEY_BYTES",
    "MacKey",
    "current_mac_key",
    "dump_mac_keys",
    "load_mac_keys",
    "mac_key_id",
    "mac_keys_valid_at",
    "new_mac_key",
]

#: a record-MAC key is 32 random bytes (HMAC-SHA256's block-size-safe, full-strength key)
MAC_KEY_BYTES: Final = 32

_ID_LABEL: Final = b"rax.mac-key-id.v1\x00"
_REVEAL: Final = "reveal_secrets"


def mac_key_id(secret: bytes) -> str:
    """The key id of a MAC key: 16 hex characters of SHA-256 over a label and the secret."""
    return hashlib.sha256(_ID_LABEL + secret).hexdigest()[:16]


class MacKey(WirePart):
    """One record-MAC key of one region, with its validity; an entry of a ``<region>.mac`` file."""

    region: RegionCode = Field(description="The region whose records this key authenticates.")
    key_id: KeyId = Field(description="First 16 hex characters of SHA-256 over a label and the secret.")
    secret: SecretStr = Field(description="The 32-byte key, standard base64; never logged, never in Kafka.")
    valid_from: UtcDatetime = Field(description="From when the key may be used, UTC.")
    valid_until: UtcDatetime | None = Field(
        default=None, description="Until when (exclusive) records MAC'd with it are accepted; absent = open."
    )

    @property
    def raw(self) -> bytes:
        """The secret's 32 bytes."""
        return base64.b64decode(self.secret.get_secret_value(), validate=True)

    def valid_at(self, when: datetime) -> bool:
        """Whether the key is valid at ``when`` (from inclusive, until exclusive)."""
        return self.valid_from <= when and (self.valid_until is None or when < self.valid_until)

    @field_serializer("secret")
    def _secret(self, secret: SecretStr, info: FieldSerializationInfo) -> SecretStr | str:
        # masked everywhere (logs, reprs, dumps) except when a key file is written on purpose
        return secret.get_secret_value() if (info.context or {}).get(_REVEAL) else secret

    @model_validator(mode="after")
    def _consistent(self) -> MacKey:
        try:
            raw = self.raw
        except (binascii.Error, ValueError):
            raise ValueError("secret is not standard base64") from None
        if len(raw) != MAC_KEY_BYTES:
            raise ValueError(f"secret must be {MAC_KEY_BYTES} bytes, got {len(raw)}")
        if mac_key_id(raw) != self.key_id:
            raise ValueError(f"key_id {self.key_id} does not match the secret")
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


def new_mac_key(region: str, valid_from: datetime) -> MacKey:
    """A fresh MAC key for ``region`` from the operating system's CSPRNG, valid from ``valid_from``."""
    raw = secrets.token_bytes(MAC_KEY_BYTES)
    return MacKey(
        region=region,
        key_id=mac_key_id(raw),
        secret=SecretStr(base64.b64encode(raw).decode("ascii")),
        valid_from=valid_from,
    )


def mac_keys_valid_at(keys: Iterable[MacKey], region: str, when: datetime) -> tuple[MacKey, ...]:
    """Every MAC key of ``region`` valid at ``when``, newest first: the keys a verifier accepts."""
    found = [k for k in keys if k.region == region and k.valid_at(when)]
    return tuple(sorted(found, key=lambda k: (k.valid_from, k.key_id), reverse=True))


def current_mac_key(keys: Iterable[MacKey], region: str, when: datetime) -> MacKey | None:
    """The MAC key ``region`` uses at ``when``: the newest valid one, or None."""
    valid = mac_keys_valid_at(keys, region, when)
    return valid[0] if valid else None


_LIST = TypeAdapter(tuple[MacKey, ...])


def dump_mac_keys(keys: Iterable[MacKey]) -> bytes:
    """The ``<region>.mac`` file's bytes: the keys as a JSON list, secrets included (write it 0600)."""
    return _LIST.dump_json(tuple(keys), indent=2, exclude_none=True, context={_REVEAL: True})


def load_mac_keys(data: bytes) -> tuple[MacKey, ...]:
    """The keys of a ``<region>.mac`` file; raises ``pydantic.ValidationError`` for anything else."""
    return _LIST.validate_json(data)
