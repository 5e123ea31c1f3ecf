"""A region's own key pairs on the region's side: create, list, rotate, export the public records."""

from __future__ import annotations

from ops.keys.opener import SealKeyLookup
from ops.keys.store import KeyStore, KeyStoreError

__all__ = ["KeyStore", "KeyStoreError", "SealKeyLookup"]
