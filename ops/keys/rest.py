"""The processors' at-rest key file: create, rotate, read back; the secrets stay in one 0600 file."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from ops.kafka.private import write_private
from ops.keys.store import KeyStoreError
from schemas.crypto.at_rest import RestKeys, new_rest_keys, rotated
from streams.runtime.at_rest import load_rest_keys
from streams.runtime.macs import MacStoreError

__all__ = ["create_rest_keys", "read_rest_keys", "rotate_rest_keys"]


def read_rest_keys(path: Path) -> RestKeys:
    """The keys of an at-rest key file; refuses one others may read, or one that is not such a file."""
    try:
        return load_rest_keys(path)
    except (MacStoreError, ValueError) as exc:
        raise KeyStoreError(str(exc)) from None


def _write(path: Path, keys: RestKeys) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write_private(tmp, keys.model_dump_json(indent=2).encode())
    os.replace(tmp, path)


def create_rest_keys(path: Path, now: datetime) -> RestKeys:
    """A new at-rest key file at ``path`` (0600); refuses to replace one (its records would not open)."""
    if path.exists():
        raise KeyStoreError(f"{path} exists: its records open only with it (`rax keys rest rotate` it)")
    keys = new_rest_keys(now)
    _write(path, keys)
    return keys


def rotate_rest_keys(path: Path, now: datetime) -> RestKeys:
    """Add a sealing key to ``path``: it seals from the processors' next start; the older ones still open."""
    keys = rotated(read_rest_keys(path), now)
    _write(path, keys)
    return keys
