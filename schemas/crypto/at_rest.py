"""The processors' at-rest key: their own topics (changelogs, inboxes, matches, watchlist) sealed.

A processor writes records for itself and its peers: store changes to changelogs, reads forwarded to an
inbox, matches to ``rax.matches``. Those hold what the hot path decided in clear (plates, details of
sealed deliveries), so with an at-rest key every such record is sealed before it leaves the process:

* the **value** becomes ``MAGIC ‖ key id ‖ nonce ‖ AES-256-GCM-SIV(record key ‖ value)``, with the topic
  and the record's key as it is on the wire as associated data, so a record copied to another topic or
  under another key does not open. GCM-SIV (``cryptography``'s ``AESGCMSIV``), not GCM: its random
  96-bit nonces may repeat after ~2^32 records under one key (an escalate worker writes a changelog
  record per read: days at 10,000 reads/s), and a repeat under GCM-SIV reveals only that two records
  were equal, where under GCM it would reveal the key stream and allow forgeries;
* the **record key** becomes a token (HMAC-SHA256 under the file's token key, 128 bits, hex): the same
  plate gives the same token, so partitioning, compaction and tombstones work as before, and the key
  itself travels inside the sealed value. The token key is not rotated (changing it would re-partition
  every keyed topic); the sealing keys are: the newest seals, every key in the file opens.

A tombstone (value None) stays a tombstone under the key's token. Pure: no files, no Kafka.
"""

from __future__ import annotations

import hmac
import os
import struct
from datetime import UTC, datetime
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.crypto.errors import OpenError

__all__ = ["MAGIC", "AtRestCipher", "RestKey", "RestKeys", "is_sealed_at_rest", "new_rest_keys", "rotated"]

#: the first bytes of a value sealed at rest (a clear value is JSON: it never starts with NUL)
MAGIC: Final = b"\x00rax.rest1"
_ID_BYTES: Final = 8
_NONCE: Final = 12
_LEN = struct.Struct(">I")
_ABSENT: Final = 0xFFFFFFFF
_AAD_LABEL: Final = b"rax.at-rest.v1\x00"
_TOKEN_LABEL: Final = b"rax.at-rest-token.v1\x00"


def _hex32(value: str) -> str:
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError("a key is 64 lowercase hex characters (256 bits)")
    return value


class RestKey(BaseModel):
    """One sealing key of the file: its id (16 hex characters, in every record it sealed) and 256 bits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    key: str
    created: datetime

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        return _hex32(value)


class RestKeys(BaseModel):
    """The processors' at-rest key file: one token key, and the sealing keys (the last one seals)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token_key: str
    keys: tuple[RestKey, ...] = Field(min_length=1)

    @field_validator("token_key")
    @classmethod
    def _token_key(cls, value: str) -> str:
        return _hex32(value)

    @field_validator("keys")
    @classmethod
    def _unique(cls, keys: tuple[RestKey, ...]) -> tuple[RestKey, ...]:
        if len({k.key_id for k in keys}) != len(keys):
            raise ValueError("two sealing keys share an id")
        return keys


def _new_key(now: datetime) -> RestKey:
    return RestKey(key_id=os.urandom(_ID_BYTES).hex(), key=os.urandom(32).hex(), created=now.astimezone(UTC))


def new_rest_keys(now: datetime) -> RestKeys:
    """A new file's content: a random token key and one random sealing key."""
    return RestKeys(token_key=os.urandom(32).hex(), keys=(_new_key(now),))


def rotated(keys: RestKeys, now: datetime) -> RestKeys:
    """``keys`` with a new sealing key that seals from now on; the older ones still open what they sealed."""
    return keys.model_copy(update={"keys": (*keys.keys, _new_key(now))})


def is_sealed_at_rest(value: bytes | None) -> bool:
    """Whether ``value`` is a value sealed at rest (not a clear record, not a tombstone)."""
    return value is not None and value.startswith(MAGIC)


class AtRestCipher:
    """Seals and opens the processors' own records under one key file.

    Lifecycle: built once per process from the file (``ops.keys.rest``), used from the loop's thread.
    """

    __slots__ = ("_open_with", "_seal_id", "_sealer", "_token")

    def __init__(self, keys: RestKeys) -> None:
        self._token = hmac.new(bytes.fromhex(keys.token_key), _TOKEN_LABEL, "sha256")
        self._open_with = {bytes.fromhex(k.key_id): AESGCMSIV(bytes.fromhex(k.key)) for k in keys.keys}
        self._seal_id = bytes.fromhex(keys.keys[-1].key_id)
        self._sealer = self._open_with[self._seal_id]

    def token(self, key: bytes) -> bytes:
        """The wire form of a record key: 32 hex characters, the same for the same key."""
        h = self._token.copy()
        h.update(key)
        return h.hexdigest()[:32].encode("ascii")

    def seal(self, topic: str, wire_key: bytes | None, key: bytes | None, value: bytes) -> bytes:
        """``value`` (and the clear ``key`` it is filed under) sealed for ``topic`` under ``wire_key``."""
        nonce = os.urandom(_NONCE)
        framed = _LEN.pack(_ABSENT) if key is None else _LEN.pack(len(key)) + key
        body = self._sealer.encrypt(nonce, framed + value, _aad(topic, wire_key))
        return b"".join((MAGIC, self._seal_id, nonce, body))

    def open(self, topic: str, wire_key: bytes | None, sealed: bytes) -> tuple[bytes | None, bytes]:
        """The clear (key, value) of a sealed value read from ``topic`` under ``wire_key``; raises
        ``OpenError`` if it was not sealed under a key of this file for that topic and key."""
        if not sealed.startswith(MAGIC):
            raise OpenError("not a value sealed at rest")
        head = len(MAGIC)
        key_id = sealed[head : head + _ID_BYTES]
        cipher = self._open_with.get(key_id)
        if cipher is None:
            raise OpenError(f"sealed under at-rest key {key_id.hex()}, which this file does not hold")
        nonce = sealed[head + _ID_BYTES : head + _ID_BYTES + _NONCE]
        try:
            plain = cipher.decrypt(nonce, sealed[head + _ID_BYTES + _NONCE :], _aad(topic, wire_key))
        except InvalidTag:
            raise OpenError(
                "the sealed value does not open: changed, or moved from another topic or key"
            ) from None
        if len(plain) < _LEN.size:
            raise OpenError("the sealed value holds no key")
        (size,) = _LEN.unpack_from(plain)
        if size == _ABSENT:
            return None, plain[_LEN.size :]
        end = _LEN.size + size
        if end > len(plain):
            raise OpenError("the sealed value's key is cut short")
        return plain[_LEN.size : end], plain[end:]


def _aad(topic: str, wire_key: bytes | None) -> bytes:
    framed_key = _LEN.pack(_ABSENT) if wire_key is None else _LEN.pack(len(wire_key)) + wire_key
    return b"".join((_AAD_LABEL, topic.encode("utf-8"), b"\x00", framed_key))
