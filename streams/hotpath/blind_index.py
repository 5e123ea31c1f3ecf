"""The blind entries of a worker's watchlist: their tokens, and which of them a read's plate matches.

A blind entry (``schemas.blind``) carries the token of its plate and of every plate within its
tolerance of look-alike substitutions (padded with random tokens). Per read and matching key held: one
HMAC of the read's plate, looked up among all of them — the exact token is an exact match, a misread
token a misread with its number of substitutions, as the clear matcher finds them. Validity is judged
as for clear entries: in force at the pass and now, and the colour, if the entry names one.
"""

from __future__ import annotations

from typing import NamedTuple

from schemas.blind import BlindPlate, MatchingKey
from schemas.crypto.tokens import ReadTokens
from streams.hotpath.confusion import certainty
from streams.hotpath.matcher import MatchResult

__all__ = ["BlindIndex"]


class _Blind(NamedTuple):
    key_id: str
    tokens: tuple[bytes, ...]
    colour: str | None
    expires: float
    placed: float
    ref: int


class BlindIndex:
    """Token → (entry, substitutions), for the blind entries only; empty (and free) when there are none.

    ``use(keys)`` gives it the matcher's matching keys; entries under a key it does not hold never match
    (``unkeyed`` counts them, for an operator to see).
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Blind] = {}
        # key id -> token -> (entry id, substitutions)…: tuples of atomic values, which the collector
        # stops tracking, so millions of tokens cost no garbage-collection walks
        self._tokens: dict[str, dict[bytes, tuple[tuple[str, int], ...]]] = {}
        self._raw: dict[str, ReadTokens] = {}  # key id -> the read-token function under that key

    def __len__(self) -> int:
        return len(self._entries)

    def use(self, keys: tuple[MatchingKey, ...]) -> None:
        """The matching keys this worker holds (from its secret store)."""
        self._raw = {k.key_id: ReadTokens(k.raw) for k in keys}

    @property
    def unkeyed(self) -> int:
        """Live blind entries placed under a key this worker does not hold."""
        return sum(1 for e in self._entries.values() if e.key_id not in self._raw)

    def upsert(
        self, entry_id: str, blind: BlindPlate, colour: str | None, expires: float, ref: int, placed: float
    ) -> None:
        self.remove(entry_id)
        by_token = self._tokens.setdefault(blind.key_id, {})
        tokens = []
        for edits, group in enumerate(((blind.exact,), blind.misread_1, blind.misread_2)):
            for hex_token in group:
                token = bytes.fromhex(hex_token)
                by_token[token] = (*by_token.get(token, ()), (entry_id, edits))
                tokens.append(token)
        self._entries[entry_id] = _Blind(blind.key_id, tuple(tokens), colour, expires, placed, ref)

    def remove(self, entry_id: str) -> None:
        e = self._entries.pop(entry_id, None)
        if e is None:
            return
        by_token = self._tokens[e.key_id]
        for token in e.tokens:
            kept = tuple(x for x in by_token.get(token, ()) if x[0] != entry_id)
            if kept:
                by_token[token] = kept
            else:
                by_token.pop(token, None)
        if not by_token:
            del self._tokens[e.key_id]

    def match(
        self, plate: str, colour: str | None, now: float, pass_time: float | None = None
    ) -> list[MatchResult]:
        """The blind entries a read's normalised ``plate`` matches under the keys held, exact ones first."""
        since = now if pass_time is None else pass_time
        until = since if since > now else now
        found: list[MatchResult] = []
        for key_id, by_token in self._tokens.items():
            token_of = self._raw.get(key_id)
            if token_of is None:
                continue
            for entry_id, edits in by_token.get(token_of(plate), ()):
                e = self._entries[entry_id]
                if e.expires > until and e.placed <= since and (e.colour is None or e.colour == colour):
                    if edits:
                        found.append(MatchResult(entry_id, "misread", certainty(edits, 0), e.ref, edits))
                    else:
                        found.append(MatchResult(entry_id, "exact", 1.0, e.ref))
        if len(found) > 1:
            found.sort(key=lambda r: (-r.score, r.entry_id))
        return found
