"""How many active partial (wildcard) entries each owner holds, followed from ``rax.watchlist``.

The zone caps the active partial entries per owner (``Zone.partial_patterns``), but the control app's
entry states are partitioned by entry id: no partition sees all of an owner's entries. So every worker
follows the compacted ``rax.watchlist`` table (the entries the app itself placed) and counts, per owner,
the entries whose plate has wildcards. The count lags the app's own commits by one batch: a burst of
placements inside one batch can exceed the cap by at most that batch's placements (documented).
"""

from __future__ import annotations

from collections import Counter

import orjson

from schemas.plate_pattern import is_partial

__all__ = ["PartialCounts"]


class PartialCounts:
    """Active partial entries per owner, from the records of ``rax.watchlist`` (key: entry id)."""

    def __init__(self) -> None:
        self._owner_of: dict[str, str] = {}  # entry id -> owner, partial entries only
        self._per_owner: Counter[str] = Counter()

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """One record of the table: an entry (placed or replaced) or a tombstone (withdrawn, expired)."""
        if key is None:
            return
        entry_id = key.decode("utf-8", "replace")
        self._forget(entry_id)
        if value is None:
            return
        try:
            data = orjson.loads(value)
            plate, owner = data["plate"], data["owner"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise ValueError(f"watchlist record {entry_id!r:.80} is not an entry") from None
        if isinstance(plate, str) and isinstance(owner, str) and is_partial(plate):
            self._owner_of[entry_id] = owner
            self._per_owner[owner] += 1

    def _forget(self, entry_id: str) -> None:
        owner = self._owner_of.pop(entry_id, None)
        if owner is not None:
            self._per_owner[owner] -= 1

    def active_of(self, owner: str, besides: str | None = None) -> int:
        """The owner's active partial entries, not counting ``besides`` (the entry being replaced)."""
        n = self._per_owner.get(owner, 0)
        return n - 1 if besides is not None and self._owner_of.get(besides) == owner else n
