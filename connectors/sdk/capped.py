"""Reading a record that may be too large: its first bytes, and the size and digest of all of it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from connectors.sdk.records import Original

__all__ = ["Capped", "read_file"]

_CHUNK = 1 << 20


class Capped:
    """Takes a record chunk by chunk: keeps its first ``limit + 1`` bytes, counts and hashes all of it.

    Lifecycle: ``feed`` each chunk in order, then ``result`` once.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.head = bytearray()
        self.size = 0
        self._sha = hashlib.sha256()

    def feed(self, chunk: bytes) -> None:
        if len(self.head) <= self.limit:
            self.head += chunk[: self.limit + 1 - len(self.head)]
        self.size += len(chunk)
        self._sha.update(chunk)

    def result(self, complete: bool = True) -> tuple[bytes, Original | None]:
        """The record (at most ``limit`` bytes), or its first ``limit + 1`` bytes and what it was.

        ``complete`` False: reading stopped before the end, so the digest of the whole is unknown.
        """
        if self.size <= self.limit:
            return bytes(self.head), None
        return bytes(self.head), Original(self.size, self._sha.hexdigest() if complete else None)


def read_file(path: str | Path, limit: int) -> tuple[bytes, Original | None]:
    """A file's bytes if it has at most ``limit``; else its first ``limit + 1`` bytes and its ``Original``."""
    capped = Capped(limit)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            capped.feed(chunk)
    return capped.result()
