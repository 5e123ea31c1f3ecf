"""The watchlist index a hot-path worker holds in memory: exact, misread-tolerant and partial plate matching.

Lifecycle: one ``WatchlistIndex`` per worker, filled from ``rax.watchlist`` before the first hit, then
kept current between batches with ``upsert`` (a place) and ``remove`` (a tombstone); ``match`` is
called once per hit. Not thread-safe: the batch loop owns it.

Matching, in this order (an entry is returned at most once per hit):

1. ``exact``: the hit's plate is the entry's plate. Score 1.0.
2. ``misread``: the hit differs from the entry's plate only by look-alike substitutions
   (``streams.hotpath.confusion``), at most ``tolerance`` of them. A difference outside a class never
   matches. Score ``1 - 0.15 * Latin substitutions - 0.25 * province substitutions`` (0.5 at worst).
3. ``partial``: the entry is a witness's partial plate (``?`` one character, ``*`` any run). The
   tolerance applies to its known characters. Score ``0.9 * known / len(hit) * certainty`` (see
   ``streams.hotpath.partial``).

Within a kind, higher score first, then entry id. An entry matches a read only if it was in force
when the vehicle passed (``placed_at <= pass_time < expires_at``) and still is when the match is made
(``now < expires_at``, and not withdrawn: a withdrawal removes it), so an expired entry never matches,
even before its tombstone arrives, and a read made before an entry was placed never matches it. An
entry with a colour matches only hits of that colour; an entry without one matches any hit; a hit
without a colour matches only entries without one.

Storage, for millions of entries: entries live in slots (an int), their fields in ``array`` columns
and two lists (no object per entry). Plates of entries with tolerance 0 are keys of one dict (plate ->
slot, or a list of slots when several entries seek one plate). Plates of tolerant entries are keys of a
second dict by their class key, the plate itself reduced to its ``variant_code`` (8 bytes). Keeping
the two apart matters: all provinces share one class, so class keys are dense, and a hit whose class
key collides with an entry's pays the verification; only tolerant entries should cause that. A hit
that matches nothing costs a dict lookup by plate, one ``str.translate`` and a dict lookup by class
key, plus the partial probes (``streams.hotpath.partial``). The payload reference is an int the
worker chooses (e.g. the entry's offset on ``rax.watchlist`` or a slot in its own store).
"""

from __future__ import annotations

import math
from array import array
from typing import Final, Literal, NamedTuple

from streams.hotpath.confusion import CLASS_TABLE, MAX_LENGTH, certainty, substitutions, variant_code
from streams.hotpath.partial import PartialIndex, is_partial

__all__ = ["MAX_TOLERANCE", "MatchKind", "MatchResult", "WatchlistIndex"]

MatchKind = Literal["exact", "misread", "partial"]

#: the largest number of look-alike substitutions an entry may tolerate
MAX_TOLERANCE: Final = 2
#: variant codes of plates longer than 8 characters do not fit 64 bits and live in a side dict
_LONG: Final = (1 << 64) - 1


class MatchResult(NamedTuple):
    """One entry matched by one hit: how, how well (1.0 = exact) and the worker's payload reference."""

    entry_id: str
    kind: MatchKind
    score: float
    ref: int
    edits: int = 0  # look-alike substitutions between the read and the entry's known characters


def _by_score(result: MatchResult) -> tuple[float, str]:
    return -result.score, result.entry_id


def _file(index: dict[str, int | list[int]], key: str, slot: int) -> None:
    present = index.get(key)
    if present is None:
        index[key] = slot
    elif isinstance(present, list):
        present.append(slot)
    else:
        index[key] = [present, slot]


def _unfile(index: dict[str, int | list[int]], key: str, slot: int) -> None:
    present = index[key]
    if isinstance(present, list):
        present.remove(slot)
        if len(present) == 1:
            index[key] = present[0]
    else:
        del index[key]


class WatchlistIndex:
    """All active watchlist entries of a worker, indexed for per-hit matching."""

    __slots__ = (
        "_colour",
        "_colours",
        "_exact",
        "_expires",
        "_free",
        "_ids",
        "_keys",
        "_long_variants",
        "_partial",
        "_placed",
        "_ref",
        "_slot_of",
        "_tolerance",
        "_tolerant",
        "_variant",
    )

    def __init__(self, anchor_size: int = 4) -> None:
        self._slot_of: dict[str, int] = {}
        self._exact: dict[str, int | list[int]] = {}  # plate -> slot(s) of entries with tolerance 0
        self._tolerant: dict[str, int | list[int]] = {}  # class key -> slot(s) of the other plates
        self._ids: list[str] = []  # "" for a free slot
        self._keys: list[str | None] = []  # key in _exact or _tolerant; None for partial or free slots
        self._expires = array("d")
        self._placed = array("d")
        self._tolerance = array("B")
        self._colour = array("H")  # 0 = any colour, else 1 + index in _colours
        self._ref = array("q")
        self._variant = array("Q")
        self._long_variants: dict[int, int] = {}
        self._colours: dict[str, int] = {}
        self._free: list[int] = []
        self._partial = PartialIndex(anchor_size)

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._slot_of

    @property
    def partial_count(self) -> int:
        """How many of the entries are partial plates."""
        return len(self._partial)

    def probes(self, length: int) -> int:
        """Dict lookups a no-match hit of this length costs: plate, class key and the partial probes."""
        return 1 + bool(self._tolerant or self._partial.count) + self._partial.probes(length)

    def partial_probes(self, length: int) -> int:
        """Dict lookups (or scanned patterns) of the partial index alone for a hit of this length."""
        return self._partial.probes(length)

    def partial_candidates(self, plate: str) -> tuple[int, int]:
        """(Partial-index entries a hit's probes return, patterns verified by regex): for the benchmark."""
        return self._partial.candidates(plate.translate(CLASS_TABLE)) if self._partial.count else (0, 0)

    def upsert(
        self,
        entry_id: str,
        pattern: str,
        colour: str | None = None,
        tolerance: int = 0,
        expires_at: float = math.inf,
        ref: int = 0,
        placed_at: float = -math.inf,
    ) -> None:
        """Add an entry, or replace the entry with this id. ``pattern`` is normalised (see module doc)."""
        if not 0 <= tolerance <= MAX_TOLERANCE:
            raise ValueError(f"tolerance must be 0..{MAX_TOLERANCE}, got {tolerance}")
        if not pattern or not entry_id or len(pattern) > MAX_LENGTH:
            raise ValueError(f"entry id and pattern must not be empty, pattern at most {MAX_LENGTH} long")
        if not -(2**63) <= ref < 2**63:
            raise ValueError(f"ref must fit 64 bits, got {ref}")
        partial = is_partial(pattern)
        if partial and not pattern.strip("?*"):
            raise ValueError(f"partial plate {pattern!r} has no known character")
        expires_at, placed_at = float(expires_at), float(placed_at)  # all that can fail has failed now
        self.remove(entry_id)
        colour_code = 0 if colour is None else self._colours.setdefault(colour, len(self._colours) + 1)
        slot = self._free.pop() if self._free else len(self._ids)
        if slot == len(self._ids):
            self._ids.append("")
            self._keys.append(None)
            for column in (
                self._expires,
                self._placed,
                self._tolerance,
                self._colour,
                self._ref,
                self._variant,
            ):
                column.append(0)
        if partial:
            self._partial.add(slot, pattern, tolerance)
            self._keys[slot] = None
            self._variant[slot] = 0
        elif not tolerance:
            self._keys[slot] = pattern
            _file(self._exact, pattern, slot)
        else:
            key = pattern.translate(CLASS_TABLE)
            code = variant_code(pattern)
            if code >= _LONG:
                self._long_variants[slot] = code
                code = _LONG
            self._variant[slot] = code
            self._keys[slot] = key
            _file(self._tolerant, key, slot)
        self._ids[slot] = entry_id
        self._slot_of[entry_id] = slot
        self._expires[slot] = expires_at
        self._placed[slot] = placed_at
        self._tolerance[slot] = tolerance
        self._colour[slot] = colour_code
        self._ref[slot] = ref

    def remove(self, entry_id: str) -> bool:
        """Forget an entry (withdrawal or expiry tombstone). False if it was not there."""
        slot = self._slot_of.pop(entry_id, None)
        if slot is None:
            return False
        key = self._keys[slot]
        if key is None:
            self._partial.remove(slot)
        elif not self._tolerance[slot]:
            _unfile(self._exact, key, slot)
        else:
            _unfile(self._tolerant, key, slot)
            self._long_variants.pop(slot, None)
        self._ids[slot] = ""
        self._keys[slot] = None
        self._free.append(slot)
        return True

    def purge_expired(self, now: float) -> list[str]:
        """Remove every entry expired at ``now`` (they already never match); returns their ids."""
        expires = self._expires
        gone = [eid for slot, eid in enumerate(self._ids) if eid and expires[slot] <= now]
        for entry_id in gone:
            self.remove(entry_id)
        return gone

    def match(
        self, plate: str, colour: str | None, now: float, pass_time: float | None = None
    ) -> list[MatchResult]:
        """Every entry matching a read's normalised plate and colour, best kind first: in force at the
        read's ``pass_time`` (default ``now``) and still at ``now``."""
        since = now if pass_time is None else pass_time  # placed at or before the pass
        until = since if since > now else now  # expiring after the pass and after now
        live = (until, since)
        results: list[MatchResult] = []
        present = self._exact.get(plate)
        if present is not None:
            self._take_exact(present, colour, live, results)
        if not (self._tolerant or self._partial.count):
            return results
        key = plate.translate(CLASS_TABLE)
        present = self._tolerant.get(key)
        if present is not None:
            self._take_tolerant(plate, key, present, colour, live, results)
        if self._partial.count:
            found = self._partial.match(plate, key)
            if found is not None:
                self._take_partial(found, colour, live, results)
        return results

    def _take_exact(
        self, present: int | list[int], colour: str | None, live: tuple[float, float], out: list[MatchResult]
    ) -> None:
        hit_colour = -1 if colour is None else self._colours.get(colour, -1)
        until, since = live
        for slot in present if isinstance(present, list) else (present,):
            wanted = self._colour[slot]
            if (
                self._expires[slot] > until
                and self._placed[slot] <= since
                and (not wanted or wanted == hit_colour)
            ):
                out.append(MatchResult(self._ids[slot], "exact", 1.0, self._ref[slot]))
        if len(out) > 1:
            out.sort(key=_by_score)

    def _take_tolerant(
        self,
        plate: str,
        key: str,
        present: int | list[int],
        colour: str | None,
        live: tuple[float, float],
        results: list[MatchResult],
    ) -> None:
        code = variant_code(plate)
        hit_colour = -1 if colour is None else self._colours.get(colour, -1)
        until, since = live
        misread: list[MatchResult] = []
        for slot in present if isinstance(present, list) else (present,):
            wanted = self._colour[slot]
            if (
                self._expires[slot] <= until
                or self._placed[slot] > since
                or (wanted and wanted != hit_colour)
            ):
                continue
            stored = self._variant[slot]
            if stored == _LONG:
                stored = self._long_variants[slot]
            if stored == code:
                results.append(MatchResult(self._ids[slot], "exact", 1.0, self._ref[slot]))
                continue
            latin, province = substitutions(key, code, stored)
            if latin + province <= self._tolerance[slot]:
                score = certainty(latin, province)
                misread.append(
                    MatchResult(self._ids[slot], "misread", score, self._ref[slot], latin + province)
                )
        results.sort(key=_by_score)  # the exact ones, of both dicts
        misread.sort(key=_by_score)
        results += misread

    def _take_partial(
        self,
        found: list[tuple[int, float, int]],
        colour: str | None,
        live: tuple[float, float],
        results: list[MatchResult],
    ) -> None:
        partial: list[MatchResult] = []
        hit_colour = -1 if colour is None else self._colours.get(colour, -1)
        until, since = live
        for slot, score, edits in found:
            entry_id = self._ids[slot]
            wanted = self._colour[slot]
            expired = self._expires[slot] <= until or self._placed[slot] > since
            if not entry_id or expired or (wanted and wanted != hit_colour):
                continue
            partial.append(MatchResult(entry_id, "partial", score, self._ref[slot], edits))
        partial.sort(key=_by_score)
        results += partial
