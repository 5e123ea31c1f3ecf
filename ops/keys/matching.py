"""The zone's matching-key file (blind entries): create or add a key, read it back; secrets stay 0600."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from ops.kafka.private import write_private
from ops.keys.store import KeyStoreError
from schemas.blind import MatchingKey, dump_matching_keys, load_matching_keys, new_matching_key
from streams.runtime.macs import MacStoreError, read_private_file

__all__ = ["add_matching_key", "read_matching_keys"]


def read_matching_keys(path: Path) -> tuple[MatchingKey, ...]:
    """The keys of a matching-key file; refuses one others may read, or one that is not a key list."""
    try:
        return load_matching_keys(read_private_file(path))
    except MacStoreError as exc:
        raise KeyStoreError(str(exc)) from None
    except ValidationError as exc:
        raise KeyStoreError(f"{path} is not a list of matching keys: {exc}") from None


def add_matching_key(path: Path, now: datetime) -> MatchingKey:
    """A new matching key, added to ``path`` (created 0600 if absent): the newest is the one to place with.

    Older keys stay in the file, so entries placed under them still match until they are re-placed.
    """
    held = read_matching_keys(path) if path.exists() else ()
    key = new_matching_key(now)
    tmp = path.with_name(path.name + ".tmp")
    write_private(tmp, dump_matching_keys((*held, key)))
    os.replace(tmp, path)
    return key
