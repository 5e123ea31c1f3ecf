"""Officers' passwords: Argon2id (RFC 9106) from `cryptography`, stored as a PHC string; nothing home-made."""

from __future__ import annotations

import os
import threading

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

__all__ = ["MIN_LENGTH", "hash_password", "verify_password"]

#: Shortest password accepted when an account is made.
MIN_LENGTH = 10

# RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes): ~0.1 s here, once per login
_MEMORY_KIB = 64 * 1024
_ITERATIONS = 3
_LANES = 4
# cryptography 50's Argon2id deadlocks when two threads run it at once (measured here: two verifies in
# two threads never return), so calls are serialised; it also bounds the CPU a burst of sign-ins takes
_ONE_AT_A_TIME = threading.Lock()


def hash_password(password: str, *, memory_kib: int = _MEMORY_KIB) -> str:
    """The PHC string (``$argon2id$v=19$m=…,t=…,p=…$salt$hash``) of ``password`` with a fresh salt."""
    kdf = Argon2id(
        salt=os.urandom(16), length=32, iterations=_ITERATIONS, lanes=_LANES, memory_cost=memory_kib
    )
    with _ONE_AT_A_TIME:
        return kdf.derive_phc_encoded(password.encode())


def verify_password(password: str, encoded: str) -> bool:
    """True if ``password`` matches ``encoded`` (constant time inside the library); False on any mismatch."""
    try:
        with _ONE_AT_A_TIME:
            Argon2id.verify_phc_encoded(password.encode(), encoded)
    except (InvalidKey, ValueError):
        return False
    return True
