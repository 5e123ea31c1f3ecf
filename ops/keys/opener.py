"""The region's private seal keys as a lookup for opening sealed deliveries (``schemas.sealed_delivery``)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import x25519

from ops.keys.store import KeyStore, KeyStoreError
from schemas.keys import KeyPurpose

__all__ = ["SealKeyLookup"]


class SealKeyLookup:
    """``lookup(key_id)``: the region's private X25519 key ``key_id`` from its store, or None if not held.

    Keys are loaded on first use and kept: a rotation adds a key id, which is then loaded in turn, and
    retired keys stay in the store so older deliveries still open. A key the store refuses (readable by
    others, unreadable) is reported, not treated as absent. The key id comes from the record (an
    envelope, a blind entry's details the owner sealed), so the id of one of the region's ``sign`` keys
    is a seal key not held (None), not an error that would stop the reader.
    """

    def __init__(self, store: KeyStore, region: str) -> None:
        self.store, self.region = store, region
        self._held: dict[str, x25519.X25519PrivateKey | None] = {}

    def __call__(self, key_id: str) -> x25519.X25519PrivateKey | None:
        if key_id not in self._held:
            ids = {k.key_id for k in self.store.keys(self.region) if k.purpose is KeyPurpose.SEAL}
            key = self.store.private(self.region, key_id) if key_id in ids else None
            if key is not None and not isinstance(key, x25519.X25519PrivateKey):
                raise KeyStoreError(f"key {key_id} of {self.region} is not a seal (X25519) key")
            self._held[key_id] = key
        return self._held[key_id]
