"""A region's public keys as the zone publishes them, and which key serves at a given time.

Each member region holds two kinds of key pair: ``seal`` (X25519, the recipient key of HPKE sealed
deliveries) and ``sign`` (Ed25519, the signatures on its batches and alerts). Only the public halves
are published, in the zone file and so on ``rax.zone``; the private halves stay in the region's own key
store (``ops.keys``), never in Kafka.

A key is valid from ``valid_from`` until ``valid_until`` (open-ended until rotated). A rotation adds a
new key valid from now and ends the old one ``overlap`` later, so for that while both are valid:

* to **use** a key at time T (seal to it, sign with it): the newest valid one (``current_key``);
* to **accept** a key for a record made at time T (open, verify): any key valid at T (``keys_valid_at``).

A key id is the first 16 hex characters of the SHA-256 of the raw public key: it names the key material
itself, so two keys never share an id and a reader can check that an id matches its key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import Field, model_validator

from schemas.base import UtcDatetime, WirePart
from schemas.fields import RegionCode

__all__ = [
    "ALGORITHMS",
    "KeyId",
    "KeyPurpose",
    "RegionKey",
    "current_key",
    "key_id_of",
    "key_problems",
    "keys_valid_at",
]


class KeyPurpose(StrEnum):
    """What a key pair is for; each purpose has exactly one algorithm (``ALGORITHMS``)."""

    SEAL = "seal"
    SIGN = "sign"


#: the algorithm of each purpose: X25519 is HPKE's KEM key, Ed25519 the signature key
ALGORITHMS: Final = {KeyPurpose.SEAL: "X25519", KeyPurpose.SIGN: "Ed25519"}

#: raw public key length of both algorithms, in bytes
_RAW_LENGTH: Final = 32

#: A key id: the first 16 hex characters of SHA-256 over the raw public key.
KeyId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$", examples=["3f9a0c1d2e4b5a69"])]


def key_id_of(raw_public: bytes) -> str:
    """The key id of a raw public key."""
    return hashlib.sha256(raw_public).hexdigest()[:16]


class RegionKey(WirePart):
    """One public key of one region, with its validity: an entry of the zone's ``keys``."""

    region: RegionCode = Field(description="The region that holds the private half.")
    key_id: KeyId = Field(description="First 16 hex characters of SHA-256 over the raw public key.")
    purpose: KeyPurpose = Field(description="seal: recipients' HPKE key; sign: the region's signature key.")
    algorithm: Literal["X25519", "Ed25519"] = Field(description="X25519 for seal, Ed25519 for sign.")
    public_key: str = Field(
        pattern=r"^[A-Za-z0-9+/]{43}=$", description="The raw 32-byte public key, standard base64."
    )
    valid_from: UtcDatetime = Field(description="From when the key may be used, UTC.")
    valid_until: UtcDatetime | None = Field(
        default=None, description="Until when (exclusive) records made with it are accepted; absent = open."
    )

    @property
    def raw(self) -> bytes:
        """The raw public key bytes."""
        return base64.b64decode(self.public_key, validate=True)

    def valid_at(self, when: datetime) -> bool:
        """Whether the key is valid at ``when`` (from inclusive, until exclusive)."""
        return self.valid_from <= when and (self.valid_until is None or when < self.valid_until)

    @model_validator(mode="after")
    def _consistent(self) -> RegionKey:
        if ALGORITHMS[self.purpose] != self.algorithm:
            raise ValueError(
                f"a {self.purpose.value} key is {ALGORITHMS[self.purpose]}, not {self.algorithm}"
            )
        try:
            raw = self.raw
        except binascii.Error as exc:
            raise ValueError(f"public_key is not base64: {exc}") from None
        if len(raw) != _RAW_LENGTH:
            raise ValueError(f"public_key must be {_RAW_LENGTH} bytes, got {len(raw)}")
        if key_id_of(raw) != self.key_id:
            raise ValueError(f"key_id {self.key_id} does not match the public key ({key_id_of(raw)})")
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


def keys_valid_at(
    keys: Iterable[RegionKey], region: str, purpose: KeyPurpose, when: datetime
) -> tuple[RegionKey, ...]:
    """Every key of ``region`` for ``purpose`` valid at ``when``, newest first: the keys to accept."""
    found = [k for k in keys if k.region == region and k.purpose is purpose and k.valid_at(when)]
    return tuple(sorted(found, key=lambda k: (k.valid_from, k.key_id), reverse=True))


def current_key(
    keys: Iterable[RegionKey], region: str, purpose: KeyPurpose, when: datetime
) -> RegionKey | None:
    """The key of ``region`` to use for ``purpose`` at ``when``: the newest valid one, or None."""
    valid = keys_valid_at(keys, region, purpose, when)
    return valid[0] if valid else None


def key_problems(keys: Iterable[RegionKey], members: frozenset[str]) -> list[str]:
    """The zone's problems with its ``keys``: a holder that is not a member, a key id listed twice."""
    problems: list[str] = []
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key.region not in members:
            problems.append(f"keys[{i}].region: {key.region} is not a member region")
        if key.key_id in first:
            problems.append(
                f"keys[{i}].key_id: {key.key_id} is listed twice (first at keys[{first[key.key_id]}])"
            )
        else:
            first[key.key_id] = i
    return problems
