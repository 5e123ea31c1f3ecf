"""Batch signatures: one Ed25519 signature over a Merkle tree of a batch's records, checkable per record.

A connector signs each batch it produces once: the leaves are the records' (topic, key, value), framed
as for the record MAC, under a leaf label; the tree is RFC 9162's (Certificate Transparency v2: leaf and
node hashes domain-separated by a 0x00 / 0x01 prefix, a tree of N leaves split at the largest power of
two below N). The signed data is the region, the signing time, the batch size and the root, in context
``batch`` of ``schemas.crypto.sign``. Every record carries the signature and its own inclusion path, so
a verifier checks one record without the rest of its batch, in any order: it recomputes the root from
the record and its path and verifies the signature over it (once per batch: ``BatchCache``).

On the wire (header values ASCII, documented in docs/threat-model.md):

=================  =============================================================================
``rax.sig``        the 64-byte signature, base64url without padding (86 characters)
``rax.sig.key``    the id of the region's ``sign`` key it was made with (16 hex)
``rax.sig.batch``  ``<signed_at ms>.<batch size>.<index>.<path>``: the path's hashes concatenated,
                   base64url without padding (43 characters per level: ⌈log2 N⌉ levels)
=================  =============================================================================

A record moved to another batch, changed, or given another index recomputes another root, and the
signature does not verify over it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.asymmetric import ed25519

from schemas.crypto.macs import _field
from schemas.crypto.signing import SIGNATURE_LENGTH, sign, verify

__all__ = [
    "BATCH_CONTEXT",
    "SIG_BATCH_HEADER",
    "SIG_HEADER",
    "SIG_KEY_HEADER",
    "BatchCache",
    "BatchProof",
    "batch_message",
    "decode_signature",
    "leaf_hash",
    "merkle_paths",
    "parse_batch_header",
    "root_from_path",
    "sign_batch",
]

SIG_HEADER: Final = "rax.sig"
SIG_KEY_HEADER: Final = "rax.sig.key"
SIG_BATCH_HEADER: Final = "rax.sig.batch"

#: the ``schemas.crypto.sign`` context of a batch signature (an alert's is ``alert``)
BATCH_CONTEXT: Final = "batch"

_LEAF_LABEL: Final = b"rax.batch-leaf.v1"
_HASH: Final = 32
#: the most records one signature covers: bounds the path (and header) length to 16 levels
MAX_BATCH: Final = 1 << 16

Record = tuple[str, bytes | None, bytes | None]


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def leaf_hash(topic: str, key: bytes | None, value: bytes | None) -> bytes:
    """The Merkle leaf of one record: SHA-256 over 0x00, a label and the framed topic, key and value."""
    return hashlib.sha256(
        b"".join((b"\x00", _LEAF_LABEL, _field(topic.encode("utf-8")), _field(key), _field(value)))
    ).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_paths(leaves: Sequence[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """The root of ``leaves`` and each leaf's inclusion path (RFC 9162 §2.1.3.1), bottom up."""
    n = len(leaves)
    if n == 0:
        raise ValueError("a batch has at least one record")
    if n == 1:
        return leaves[0], [[]]
    k = 1 << ((n - 1).bit_length() - 1)  # the largest power of two below n
    left, left_paths = merkle_paths(leaves[:k])
    right, right_paths = merkle_paths(leaves[k:])
    for p in left_paths:
        p.append(right)
    for p in right_paths:
        p.append(left)
    return _node(left, right), left_paths + right_paths


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """The root a leaf at ``index`` of a tree of ``size`` leaves and its path lead to (RFC 9162
    §2.1.3.2), or None when the path cannot belong to such a tree."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


_SIGNED = struct.Struct(">QI")


def batch_message(region: str, signed_at_ms: int, size: int, root: bytes) -> bytes:
    """The bytes a batch signature covers: region, signing time, size and root."""
    return region.encode("ascii") + b"\x00" + _SIGNED.pack(signed_at_ms, size) + root


def sign_batch(
    private: ed25519.Ed25519PrivateKey,
    key_id: str,
    region: str,
    records: Sequence[Record],
    signed_at_ms: int,
) -> list[list[tuple[str, bytes]]]:
    """The three signature headers of each record of one batch (in the records' order)."""
    if len(records) > MAX_BATCH:
        raise ValueError(f"a signed batch has at most {MAX_BATCH} records, got {len(records)}")
    root, paths = merkle_paths([leaf_hash(*r) for r in records])
    size = len(records)
    signature = _b64(sign(private, BATCH_CONTEXT, batch_message(region, signed_at_ms, size, root)))
    kid = key_id.encode("ascii")
    head = b"%d.%d." % (signed_at_ms, size)
    return [
        [
            (SIG_HEADER, signature),
            (SIG_KEY_HEADER, kid),
            (SIG_BATCH_HEADER, head + b"%d." % i + _b64(b"".join(path))),
        ]
        for i, path in enumerate(paths)
    ]


@dataclass(frozen=True, slots=True)
class BatchProof:
    """A record's ``rax.sig.batch`` header, parsed; ``path`` is the hashes concatenated."""

    signed_at_ms: int
    size: int
    index: int
    path: bytes


_URL_TO_STD: Final = bytes.maketrans(b"-_", b"+/")


def _unb64_fast(text: bytes) -> bytes:
    # binascii directly: base64.urlsafe_b64decode costs three times as much on a 300-byte path
    return binascii.a2b_base64(text.translate(_URL_TO_STD) + b"=" * (-len(text) % 4), strict_mode=True)


def parse_batch_header(value: bytes) -> BatchProof | None:
    """The parsed ``rax.sig.batch`` value, or None if it is malformed."""
    parts = value.split(b".", 3)
    if len(parts) != 4 or len(parts[3]) > 16 * 43:
        return None
    try:
        signed_at, size, index = int(parts[0]), int(parts[1]), int(parts[2])
        raw = _unb64_fast(parts[3])
    except (binascii.Error, ValueError):
        return None
    if len(raw) % _HASH or not 0 <= index < size <= MAX_BATCH or signed_at < 0:
        return None
    return BatchProof(signed_at, size, index, raw)


def decode_signature(value: bytes) -> bytes | None:
    """The 64 signature bytes of a ``rax.sig`` value, or None if it is malformed."""
    if len(value) != 86:
        return None
    try:
        raw = _unb64_fast(value)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == SIGNATURE_LENGTH else None


class BatchCache:
    """The tree nodes of batches whose signature verified, so a batch of N records costs one Ed25519
    verify and, per record, the hashes up to the first node already authenticated (about two), not N
    verifies and log2 N hashes.

    A node is kept with the region whose key signed its tree. A record is authentic when its leaf and
    path hash up to such a node of its topic's region: finding another leaf and path that reach it is a
    second preimage of SHA-256 (and leaves and nodes are domain-separated, so a leaf cannot pose as a
    node). Bounded (oldest dropped first); ``clear()`` when the keys change (a revoked key's batches
    must stop passing); used from one thread.
    """

    def __init__(self, size: int = 1 << 17) -> None:
        self.size = size
        self._nodes: OrderedDict[bytes, None] = OrderedDict()
        self.verifies = 0  # Ed25519 verifications done (the cost the cache saves)

    def clear(self) -> None:
        self._nodes.clear()

    def climb(self, region: bytes, leaf: bytes, proof: BatchProof) -> tuple[bool, list[bytes]]:
        """Hash ``leaf`` up its path: (True, []) as soon as a node of ``region`` is already known (the
        nodes climbed to it are known from then on: each node of a tree is hashed about once), else
        (False, the nodes from leaf to root), or (False, []) when the path fits no tree of the proof's
        size (RFC 9162 §2.1.3.2)."""
        nodes, path, fn, sn, r = self._nodes, proof.path, proof.index, proof.size - 1, leaf
        climbed: list[bytes] = []
        sha = hashlib.sha256
        for i in range(0, len(path) + _HASH, _HASH):
            if region + r in nodes:
                self._know(region, climbed)
                return True, []
            climbed.append(r)
            if i == len(path):
                break
            if sn == 0:
                return False, []
            p = path[i : i + _HASH]
            if fn & 1 or fn == sn:
                r = sha(b"\x01" + p + r).digest()
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
            else:
                r = sha(b"\x01" + r + p).digest()
            fn, sn = fn >> 1, sn >> 1
        return False, (climbed if sn == 0 else [])

    def _know(self, region: bytes, climbed: list[bytes]) -> None:
        nodes = self._nodes
        for node in climbed:
            nodes[region + node] = None
        while len(nodes) > self.size:
            nodes.popitem(last=False)

    def verified(
        self,
        public: ed25519.Ed25519PublicKey,
        signature: bytes,
        region: bytes,
        message: bytes,
        climbed: list[bytes],
    ) -> bool:
        """Whether ``signature`` verifies over ``message`` (whose root ends ``climbed``); if it does,
        every node of ``climbed`` is known from now on."""
        self.verifies += 1
        if not verify(public, signature, BATCH_CONTEXT, message):
            return False
        self._know(region, climbed)
        return True
