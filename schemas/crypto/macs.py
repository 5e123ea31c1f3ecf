"""Per-record HMAC-SHA256 over a Kafka record's topic, key and value, and its constant-time check.

The MAC input is unambiguous: a version label, then topic, key and value each preceded by its length
(8 bytes, big-endian); an absent key has length 2^64-1, so it differs from an empty one. The same value
written to another topic or under another key does not verify.

On the wire a record carries its MAC in two headers (values ASCII), documented in docs/integrators.md:

===============  ============================================================
``rax.mac``      the 32-byte MAC as 64 lowercase hex characters
``rax.mac.key``  the id of the region's MAC key it was made with (16 hex)
===============  ============================================================
"""

from __future__ import annotations

import binascii
import functools
import hmac
import struct
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as keyed_hash

__all__ = [
    "MAC_HEADER",
    "MAC_KEY_HEADER",
    "MAC_LENGTH",
    "MIN_KEY_LENGTH",
    "KeyedMac",
    "mac_headers",
    "record_mac",
    "verify_record_mac",
]

MAC_LENGTH: Final = 32
#: a record MAC key has at least 256 bits
MIN_KEY_LENGTH: Final = 32

#: the record's MAC, hex
MAC_HEADER: Final = "rax.mac"
#: the id of the MAC key it was made with
MAC_KEY_HEADER: Final = "rax.mac.key"

_LABEL: Final = b"rax.record-mac.v1"
_LEN = struct.Struct(">Q")
_ABSENT: Final = _LEN.pack(2**64 - 1)


def _field(data: bytes | None) -> bytes:
    return _ABSENT if data is None else _LEN.pack(len(data)) + data


def _checked(key: bytes) -> bytes:
    if len(key) < MIN_KEY_LENGTH:
        raise ValueError(f"a record MAC key has at least {MIN_KEY_LENGTH} bytes, got {len(key)}")
    return key


@functools.lru_cache(maxsize=1024)
def _head(topic: str) -> bytes:
    # the label and the topic: the same for every record of a topic, so made once per topic
    return _LABEL + _field(topic.encode("utf-8"))


def _message(topic: str, key_bytes: bytes | None, value: bytes | None) -> bytes:
    return b"".join((_head(topic), _field(key_bytes), _field(value)))


def record_mac(key: bytes, topic: str, key_bytes: bytes | None, value: bytes | None) -> bytes:
    """HMAC-SHA256 under ``key`` over the record's topic, key and value (32 bytes)."""
    # the standard library's one-shot HMAC runs on the same OpenSSL HMAC-SHA256 as cryptography's
    # incremental one; measured here 3.2 µs against 4.3 µs for a 300-byte record, so it is the one used
    return hmac.digest(_checked(key), _message(topic, key_bytes, value), "sha256")


class KeyedMac:
    """``record_mac`` under one key, for many records: the key's HMAC state (``cryptography``'s, whose
    copy, update and constant-time verify stay in native code) is computed once and copied per record
    (measured 1.4 µs to verify a 400-byte record's ``rax.mac`` header, against 3.0–3.5 µs with the
    standard library's ``hmac`` state copied per record, 2026-12-06).

    Lifecycle: built once per key (by a connector for its current key, by the processors' key store for
    each key it holds) and used from one thread.
    """

    __slots__ = ("_base",)

    def __init__(self, key: bytes) -> None:
        self._base = keyed_hash.HMAC(_checked(key), hashes.SHA256())

    def mac(self, topic: str, key_bytes: bytes | None, value: bytes | None) -> bytes:
        """The record's MAC, equal to ``record_mac(key, topic, key_bytes, value)``."""
        h = self._base.copy()
        h.update(_message(topic, key_bytes, value))
        return h.finalize()

    def verify(self, topic: str, key_bytes: bytes | None, value: bytes | None, mac: bytes) -> bool:
        """Whether ``mac`` is the record's MAC under this key; compares in constant time."""
        h = self._base.copy()
        h.update(_message(topic, key_bytes, value))
        try:
            h.verify(mac)
        except InvalidSignature:
            return False
        return True

    def mac_hex(self, topic: str, key_bytes: bytes | None, value: bytes | None) -> bytes:
        """The record's MAC as a ``rax.mac`` header value: 64 lowercase hex characters."""
        return self.mac(topic, key_bytes, value).hex().encode("ascii")

    def verify_hex(self, topic: str, key_bytes: bytes | None, value: bytes | None, mac_hex: bytes) -> bool:
        """Whether ``mac_hex`` (a ``rax.mac`` header value, lowercase hex) is the record's MAC; constant
        time. Upper case, or anything not hex, does not verify."""
        if mac_hex.lower() != mac_hex:
            return False
        try:
            mac = binascii.unhexlify(mac_hex)
        except ValueError:  # binascii.Error is one: not hex, or an odd length
            return False
        return self.verify(topic, key_bytes, value, mac)


def verify_record_mac(
    key: bytes, topic: str, key_bytes: bytes | None, value: bytes | None, mac: bytes
) -> bool:
    """Whether ``mac`` is the record's MAC under ``key``; compares in constant time."""
    return hmac.compare_digest(record_mac(key, topic, key_bytes, value), mac)


def mac_headers(
    key: bytes | KeyedMac, key_id: str, topic: str, key_bytes: bytes | None, value: bytes | None
) -> tuple[tuple[str, bytes], tuple[str, bytes]]:
    """The ``rax.mac`` and ``rax.mac.key`` headers of a record to be written on ``topic``."""
    if isinstance(key, KeyedMac):
        mac = key.mac_hex(topic, key_bytes, value)
    else:
        mac = record_mac(key, topic, key_bytes, value).hex().encode("ascii")
    return (
        (MAC_HEADER, mac),
        (MAC_KEY_HEADER, key_id.encode("ascii")),
    )
