"""The blind entries of a worker's watchlist: their tokens, and which of them a read's tokens match.

A blind entry (``schemas.blind``) is compared by token only: the read's exact token equal to the
entry's is an exact match; its folded token (look-alike classes folded) equal to the entry's folded
token is a misread, with at least one look-alike substitution (a token cannot count them: the score is
``BLIND_MISREAD_SCORE``). Validity is judged as for clear entries: in force at the pass and now, and
the colour, if the entry names one.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from schemas.blind import BlindPlate
from streams.hotpath.matcher import MatchResult

__all__ = ["BLIND_MISREAD_SCORE", "BlindIndex"]

#: the score of a blind misread: below any exact match, the edits it took unknown
BLIND_MISREAD_SCORE: Final = 0.75


class _Blind(NamedTuple):
    exact: str  # "<key id>:<token>"
    folded: str | None
    colour: str | None
    expires: float
    placed: float
    ref: int


class BlindIndex:
    """Token → entries, for the blind entries only; empty (and free) in a zone that has none."""

    def __init__(self) -> None:
        self._entries: dict[str, _Blind] = {}
        self._exact: dict[str, set[str]] = {}
        self._folded: dict[str, set[str]] = {}
        self.key_ids: dict[str, int] = {}  # key id -> entries using it: the keys a read is tokenised under

    def __len__(self) -> int:
        return len(self._entries)

    def upsert(
        self, entry_id: str, blind: BlindPlate, colour: str | None, expires: float, ref: int, placed: float
    ) -> None:
        self.remove(entry_id)
        exact = f"{blind.key_id}:{blind.exact}"
        folded = f"{blind.key_id}:{blind.folded}" if blind.folded is not None else None
        self._entries[entry_id] = _Blind(exact, folded, colour, expires, placed, ref)
        self._exact.setdefault(exact, set()).add(entry_id)
        if folded is not None:
            self._folded.setdefault(folded, set()).add(entry_id)
        self.key_ids[blind.key_id] = self.key_ids.get(blind.key_id, 0) + 1

    def remove(self, entry_id: str) -> None:
        old = self._entries.pop(entry_id, None)
        if old is None:
            return
        _discard(self._exact, old.exact, entry_id)
        if old.folded is not None:
            _discard(self._folded, old.folded, entry_id)
        key_id = old.exact.split(":", 1)[0]
        self.key_ids[key_id] -= 1
        if not self.key_ids[key_id]:
            del self.key_ids[key_id]

    def match(
        self,
        tokens: list[tuple[str, str, str]],
        colour: str | None,
        now: float,
        pass_time: float | None = None,
    ) -> list[MatchResult]:
        """The blind entries a read's ``(key id, exact, folded)`` tokens match, exact ones first."""
        since = now if pass_time is None else pass_time
        until = since if since > now else now
        found: dict[str, MatchResult] = {}
        for key_id, exact, folded in tokens:
            for entry_id in self._exact.get(f"{key_id}:{exact}", ()):
                e = self._entries[entry_id]
                if _live(e, colour, until, since):
                    found[entry_id] = MatchResult(entry_id, "exact", 1.0, e.ref)
            for entry_id in self._folded.get(f"{key_id}:{folded}", ()):
                e = self._entries[entry_id]
                if entry_id not in found and _live(e, colour, until, since):
                    found[entry_id] = MatchResult(entry_id, "misread", BLIND_MISREAD_SCORE, e.ref, 1)
        return sorted(found.values(), key=lambda r: (-r.score, r.entry_id))


def _live(e: _Blind, colour: str | None, until: float, since: float) -> bool:
    return e.expires > until and e.placed <= since and (e.colour is None or e.colour == colour)


def _discard(index: dict[str, set[str]], token: str, entry_id: str) -> None:
    ids = index.get(token)
    if ids is not None:
        ids.discard(entry_id)
        if not ids:
            del index[token]
