"""The exceptions of ``schemas.crypto``; the library's own exceptions never leave the package.

Exceptions::

    ValueError
    └── CryptoError           a key or a protected record that cannot be used
        ├── KeyMaterialError  a key that is malformed or of the wrong kind
        └── OpenError         a sealed body that does not open: wrong key, wrong context, tampered
"""

from __future__ import annotations

__all__ = ["CryptoError", "KeyMaterialError", "OpenError"]


class CryptoError(ValueError):
    """A key or a protected record that cannot be used; the message says which and why."""


class KeyMaterialError(CryptoError):
    """A key that is malformed, or of another algorithm than its purpose needs."""


class OpenError(CryptoError):
    """A sealed body that does not open with this key and context (wrong key, wrong context, tampered)."""
