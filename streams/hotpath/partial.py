"""Index of partial watchlist plates (``?`` one character, ``*`` any run): at most three lookups per read.

Everything is indexed in class-key space (see ``streams.hotpath.confusion``), so one probe finds both the
literal matches and the look-alike ones a tolerant entry allows; a candidate is then verified.

Blocks (pigeonhole). A read of ``n`` characters probes three tables of its length, each keyed by the
read's classes at four positions (the province position 0 is in none: all provinces are one class):
``head`` 1-4, ``tail`` the last four and ``ends`` 1, 2 and the last two. For 7 characters their
complements are the blocks {5, 6}, {1, 2} and {3, 4} (for 8: {5, 6, 7}, {1, 2, 3}, {3, 4, 5}): a
pattern whose unknown characters lie in one block knows every position of one table, and is filed
there under its own characters, once. A pattern whose unknowns spread over two blocks is filed under a
table missing one of them, once per value that position can take (the ~38 plate classes plus "any
other character": the classes are mapped to small codes, ``_PHI``, so the expansion is finite and
exact); an expanded position narrows nothing, so the table whose known positions are serial ones
wins. A one-``?`` plate of 7 or 8 characters is never expanded; a two-``?`` one is when its ``?`` fall
in two blocks (the benchmark's witnesses: ~80 % of those). Each bucket entry carries the pattern's
known positions as (byte mask, codes), so a candidate costs one AND before any regex.

A ``*`` pattern is filed per read length it can match, up to ``LONGEST_READ``: at each length its
prefix and suffix sit at fixed positions (``川A1*345`` knows 1, 2 and the last two, i.e. ``ends``; a
suffix ``*12345`` knows ``tail``). A floating run (``*1234*``) is filed at each offset it can take.

Fallback. What one expansion cannot cover (three unknown blocks, a run in a long read, reads longer
than ``LONGEST_READ``) also goes to the anchor path below, which a read consults only if some pattern
needs it at its length (``probes`` counts both). A ``*`` pattern is filed there as well, for reads
longer than ``LONGEST_READ``.

Anchors (fallback). A pattern is filed under the class characters at up to ``anchor_size`` known
positions, counted from the start in the part before the first ``*`` and from the end (negative
positions) in the part after the last ``*``: those offsets hold for every read the pattern can match.
Province positions are never anchors. A new pattern joins the largest existing anchor group whose
positions it knows, so groups stay few. A ``*`` pattern whose prefix and suffix know fewer than 3
characters is filed under a run of 3 or 4 known characters from its middle (probed at every offset of
the read); the rest, which no index narrows, are scanned.

Verification: the literal regex first (0 substitutions); if the entry tolerates misreads and the class
regex matches, the least substitutions over all alignments (a small DP) must be within the tolerance.
Score: ``0.9 * known characters / characters of the read * certainty(substitutions)``, so a partial
match never scores above 0.9 and is always below an exact one.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable
from operator import itemgetter
from typing import Any, Final

from schemas.plates.validate import MAX_LENGTH as LONGEST_READ
from streams.hotpath.confusion import (
    PLATE_HANZI,
    PROVINCE_MARK,
    PROVINCES,
    certainty,
    class_key,
    min_substitutions,
)

__all__ = ["LONGEST_READ", "MAX_RUN", "MIN_ANCHOR", "PARTIAL_WEIGHT", "PartialIndex", "is_partial"]

#: a partial match is worth at most this much (times the share of the read its known characters cover)
PARTIAL_WEIGHT: Final = 0.9
#: an anchor shorter than this is used only when nothing better exists
MIN_ANCHOR: Final = 3
#: the longest inner run a floating ``*`` pattern is filed under (longer = fewer false candidates)
MAX_RUN: Final = 4
_WILD: Final = "?*"
#: the code of every class that is not a plate character's (and of characters beyond the BMP)
_OTHER: Final = "?"


def _phi_table() -> tuple[str, bytes]:
    """``str.translate`` table: class character -> small code; and every code a read's character can have."""
    alphabet = sorted(set(class_key(PROVINCES + string.digits + string.ascii_uppercase + PLATE_HANZI)))
    table = [_OTHER] * 0x10000
    for code, ch in enumerate(alphabet, start=1):
        table[ord(ch)] = chr(code)
    return "".join(table), bytes(range(1, len(alphabet) + 1)) + _OTHER.encode()


#: a class key -> one small code per character; ``_CODES``: what a ``?`` is expanded to (~39 values)
_PHI, _CODES = _phi_table()


def _phi(key: str) -> int:
    """A class key's codes as one int, one byte per character (a character beyond the BMP is ``_OTHER``)."""
    return int.from_bytes(key.translate(_PHI).encode("latin-1", "replace"), "little")


def is_partial(pattern: str) -> bool:
    """True if the pattern has a wildcard, i.e. it is a partial plate rather than one exact plate."""
    return "?" in pattern or "*" in pattern


def _regex(pattern: str) -> re.Pattern[str]:
    parts = [".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts), re.DOTALL)


class _Pattern:
    __slots__ = ("fallback", "klass", "known", "literal", "text", "tolerance", "unfile")

    def __init__(self, text: str, tolerance: int) -> None:
        self.text = text
        self.tolerance = tolerance
        self.known = sum(ch not in _WILD for ch in text)
        self.literal = _regex(text)
        self.klass = _regex(class_key(text))
        # the read lengths (LONGEST_READ + 1: any longer one) it is on the fallback path for
        self.fallback: list[int] = []
        self.unfile: Callable[[], object] = list  # replaced by the undo of its fallback filing


# --- blocks --------------------------------------------------------------------------------------------


@functools.cache
def _masks(n: int) -> tuple[tuple[int, ...], ...]:
    """The positions keying each table of reads of ``n`` characters: head, tail, ends (see module doc)."""
    inner = range(1, n)
    ends = tuple(p for p in inner if p <= 2 or p >= n - 2)
    return tuple(dict.fromkeys((tuple(inner[:4]), tuple(inner[-4:]), ends)))


def _known(part: str, offset: int) -> dict[int, int]:
    """Position -> code of the known characters of a ``?``-only part of a class key placed at ``offset``."""
    codes = part.translate(_PHI).encode("latin-1", "replace")
    return {offset + i: codes[i] for i, ch in enumerate(part) if ch != "?"}


#: where a pattern is filed: (table, bucket key, byte mask of all its known positions, their codes)
_Filing = tuple[int, int, int, int]


def _cover(known: dict[int, int], n: int) -> list[_Filing] | None:
    """The filings of one alignment for reads of ``n`` characters; None if it needs two expansions. The
    table missing fewest known positions wins; one missing position is expanded. A bucket entry keeps
    the alignment's whole (mask, codes), so a candidate is checked with one AND before any regex."""
    options = []
    for table, positions in enumerate(_masks(n)):
        missing = [p for p in positions if p not in known]
        # fewest expansions; then known serial positions over the authority letter (fewer distinct values)
        options.append((len(missing), -sum(p for p in positions if p in known), table, missing, positions))
    if not options or min(options)[0] > 1:
        return None
    _, _, table, missing, positions = min(options)
    base = sum(known[p] << 8 * p for p in positions if p in known)
    mask = sum(0xFF << 8 * p for p in known if p < n)
    want = sum(code << 8 * p for p, code in known.items() if p < n)
    if not missing:
        return [(table, base, mask, want)]
    return [(table, base | code << 8 * missing[0], mask, want) for code in _CODES]


def _filings(key: str, n: int) -> list[_Filing] | None:
    """Where a pattern (class key) is filed for reads of ``n`` characters: [] if it matches none of that
    length, None if the blocks cannot cover it (the fallback path then must)."""
    if "*" not in key:
        return _cover(_known(key, 0), n) if len(key) == n else []
    if n < len(key) - key.count("*"):
        return []
    first, last = key.index("*"), key.rindex("*")
    prefix, suffix = key[:first], key[last + 1 :]
    ends = _known(prefix, 0) | _known(suffix, n - len(suffix))
    found = _cover(ends, n)
    middle = key[first + 1 : last].split("*")
    if found is not None or not any(part.strip("?") for part in middle):
        return found
    # a run between stars floats: file it at every offset it can take (a read matches at one of them)
    i = max(range(len(middle)), key=lambda j: len(middle[j]) - middle[j].count("?"))
    run = middle[i]
    lowest = len(prefix) + sum(map(len, middle[:i]))
    highest = n - len(suffix) - sum(map(len, middle[i + 1 :])) - len(run)
    out: list[_Filing] = []
    for offset in range(lowest, highest + 1):
        filed = _cover(ends | _known(run, offset), n)
        if filed is None:
            return None
        out += filed
    return list(dict.fromkeys(out))


def _lengths(key: str) -> range:
    """The read lengths up to ``LONGEST_READ`` a pattern is filed in blocks for."""
    if "*" not in key:
        return range(len(key), len(key) + 1)
    return range(len(key) - key.count("*"), LONGEST_READ + 1)


# --- fallback: anchors, floating runs, scan ------------------------------------------------------------


class _Group:
    """Patterns sharing anchor positions: anchor characters -> slots."""

    __slots__ = ("buckets", "get", "positions", "reach")

    def __init__(self, positions: tuple[int, ...]) -> None:
        self.positions = positions
        self.get: Callable[[str], Any] = itemgetter(*positions)
        self.buckets: dict[Any, list[int]] = {}
        self.reach = max(p + 1 if p >= 0 else -p for p in positions)  # shortest read it can index


def _code(key: str) -> int:
    """A class key as an int, one byte per character; a character beyond Latin-1 becomes ``?``."""
    return int.from_bytes(key.encode("latin-1", "replace"), "little")


def _known_positions(key: str) -> list[int]:
    """Anchorable positions of a class-space pattern, most preferred first (serial end first)."""
    if "*" not in key:
        fixed = [i for i, ch in enumerate(key) if ch not in _WILD and ch != PROVINCE_MARK]
        return sorted(fixed, key=lambda i: (i < 2, -i))
    prefix, suffix = key[: key.index("*")], key[key.rindex("*") + 1 :]
    ends = [j - len(suffix) for j, ch in enumerate(suffix) if ch not in _WILD and ch != PROVINCE_MARK]
    starts = [i for i, ch in enumerate(prefix) if ch not in _WILD and ch != PROVINCE_MARK]
    return sorted(ends, reverse=True) + sorted(starts, key=lambda i: (i < 2, -i))


def _inner_run(key: str) -> str | None:
    """The last (up to ``MAX_RUN``) characters of the longest run of known plate characters, if any."""
    runs = [r for r in re.split("[" + re.escape(_WILD + PROVINCE_MARK) + "]", key) if len(r) >= MIN_ANCHOR]
    runs = [r for r in runs if all(ord(ch) <= 0xFF for ch in r)]
    return max(runs, key=len)[-MAX_RUN:] if runs else None


def _file(buckets: dict[Any, list[int]], anchor: Any, slot: int) -> Callable[[], bool]:
    """Put ``slot`` in ``buckets[anchor]``; returns the undo, which says whether ``buckets`` is now empty."""
    buckets.setdefault(anchor, []).append(slot)

    def undo() -> bool:
        slots = buckets[anchor]
        slots.remove(slot)
        if not slots:
            del buckets[anchor]
        return not buckets

    return undo


class PartialIndex:
    """Partial patterns by slot. Lifecycle: ``add`` / ``remove`` between batches, ``match`` per read.

    ``count`` is the number of patterns (a plain attribute: the hot path tests it per hit).
    """

    __slots__ = (
        "_anchor_size",
        "_blocks",
        "_fallback",
        "_floating",
        "_groups",
        "_patterns",
        "_probes",
        "_scan",
        "_tables",
        "count",
    )

    def __init__(self, anchor_size: int = 4) -> None:
        self._anchor_size = anchor_size
        # blocks: per read length, one dict per table of _masks (bucket key -> slots); and what match()
        # probes per length: (byte mask, bound get) of the tables that are not empty
        self._blocks: list[list[dict[int, list[tuple[int, int, int]]]]] = [
            [{} for _ in _masks(n)] for n in range(LONGEST_READ + 1)
        ]
        self._tables: list[list[tuple[int, Callable[[int], list[tuple[int, int, int]] | None]]]] = [
            [] for _ in range(LONGEST_READ + 1)
        ]
        # per read length (the last: longer reads), how many patterns need the fallback path
        self._fallback = [0] * (LONGEST_READ + 2)
        self._groups: list[_Group] = []  # fallback patterns with anchors
        # fallback * patterns by the length and code of an inner run: length -> code -> slots
        self._floating: dict[int, dict[int, list[int]]] = {}
        # the fallback path match() walks, rebuilt when a group or run length comes or goes:
        # (reach, getter, lookup) per group, then (length, mask, lookup) per run length
        self._probes: tuple[list[tuple[int, Any, Any]], list[tuple[int, int, Any]]] = ([], [])
        self._scan: list[int] = []
        self._patterns: dict[int, _Pattern] = {}
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def probes(self, length: int) -> int:
        """How many dict lookups (or scanned patterns) a read of this length costs: its tables, and the
        fallback path's probes if a pattern needs it at this length."""
        blocks = len(self._tables[length]) if length <= LONGEST_READ else 0
        if not self._fallback[min(length, LONGEST_READ + 1)]:
            return blocks
        grouped = sum(g.reach <= length for g in self._groups)
        floating = sum(max(length - n + 1, 0) for n in self._floating)
        return blocks + grouped + floating + len(self._scan)

    def add(self, slot: int, pattern: str, tolerance: int) -> None:
        """File ``pattern`` (with at least one known character) under ``slot``; ValueError if unusable."""
        if not pattern.strip(_WILD):
            raise ValueError(f"partial plate {pattern!r} has no known character")
        entry = _Pattern(pattern, tolerance)
        key = class_key(pattern)
        for n in _lengths(key):
            filings = _filings(key, n) if n <= LONGEST_READ else None
            if filings is None:
                entry.fallback.append(min(n, LONGEST_READ + 1))
                continue
            checks: dict[tuple[int, int], tuple[int, int, int]] = {}  # one tuple per alignment, shared
            for table, bucket, mask, want in filings:
                self._file_block(n, table, bucket, checks.setdefault((mask, want), (slot, mask, want)))
        if "*" in key:  # reads longer than LONGEST_READ find * patterns on the fallback path only
            entry.fallback.append(LONGEST_READ + 1)
        if entry.fallback:
            entry.unfile = self._file_fallback(key, slot)
            for n in entry.fallback:
                self._fallback[n] += 1
        self._patterns[slot] = entry
        self.count += 1

    def _file_block(self, n: int, table: int, bucket: int, slot: tuple[int, int, int]) -> None:
        buckets = self._blocks[n][table]
        slots = buckets.get(bucket)
        if slots is None:
            buckets[bucket] = [slot]
            if len(buckets) == 1:
                self._retable(n)
        else:
            slots.append(slot)

    def _unfile_block(self, n: int, table: int, bucket: int, slot: tuple[int, int, int]) -> None:
        buckets = self._blocks[n][table]
        slots = buckets[bucket]
        slots.remove(slot)
        if not slots:
            del buckets[bucket]
            if not buckets:
                self._retable(n)

    def _retable(self, n: int) -> None:
        masks = [sum(0xFF << 8 * p for p in positions) for positions in _masks(n)]
        self._tables[n] = [(mask, b.get) for mask, b in zip(masks, self._blocks[n], strict=True) if b]

    def _file_fallback(self, key: str, slot: int) -> Callable[[], None]:
        positions = _known_positions(key)
        run = _inner_run(key) if "*" in key else None
        if positions and (len(positions) >= MIN_ANCHOR or run is None):
            return self._file_group(positions, key, slot)
        if run is not None:
            return self._file_floating(run, slot)
        self._scan.append(slot)
        return functools.partial(self._scan.remove, slot)

    def _file_floating(self, run: str, slot: int) -> Callable[[], None]:
        runs = self._floating.get(len(run))
        if runs is None:
            runs = self._floating[len(run)] = {}
            self._reprobe()
        undo = _file(runs, _code(run), slot)

        def unfile() -> None:
            if undo():
                del self._floating[len(run)]
                self._reprobe()

        return unfile

    def _file_group(self, positions: list[int], key: str, slot: int) -> Callable[[], None]:
        # join the largest group whose positions the pattern knows, so groups (= probes) stay few
        size = min(self._anchor_size, len(positions))
        known = set(positions)
        fits = [g for g in self._groups if len(g.positions) == size and known.issuperset(g.positions)]
        group = max(fits, key=lambda g: len(g.buckets)) if fits else _Group(tuple(positions[:size]))
        if not fits:
            self._groups.append(group)
            self._reprobe()
        undo = _file(group.buckets, group.get(key), slot)

        def unfile() -> None:
            if undo():
                self._groups.remove(group)
                self._reprobe()

        return unfile

    def _reprobe(self) -> None:
        groups = [(g.reach, g.get, g.buckets.get) for g in self._groups]
        runs = [(n, (1 << 8 * n) - 1, runs.get) for n, runs in self._floating.items()]
        self._probes = (groups, runs)

    def remove(self, slot: int) -> None:
        """Forget the pattern filed under ``slot`` (no error if there is none)."""
        entry = self._patterns.pop(slot, None)
        if entry is None:
            return
        key = class_key(entry.text)
        for n in _lengths(key):  # the filings are recomputed rather than kept: they are many, and cheap
            for table, bucket, mask, want in (_filings(key, n) if n <= LONGEST_READ else None) or ():
                self._unfile_block(n, table, bucket, (slot, mask, want))
        for n in entry.fallback:
            self._fallback[n] -= 1
        entry.unfile()
        self.count -= 1

    def candidates(self, key: str) -> tuple[int, int]:
        """(bucket entries a read's probes return, patterns left to verify by regex): for the benchmark."""
        entries = 0
        if len(key) <= LONGEST_READ:
            code = _phi(key)
            entries = sum(len(lookup(code & mask) or ()) for mask, lookup in self._tables[len(key)])
        return entries, len(dict.fromkeys(self._candidates(key) or ()))

    def match(self, plate: str, key: str) -> list[tuple[int, float, int]] | None:
        """(slot, score) of every pattern matching ``plate`` (whose class key is ``key``), or None."""
        found = self._candidates(key)
        if found is None:
            return None
        return self._verify(plate, key, dict.fromkeys(found))

    def _candidates(self, key: str) -> list[int] | None:
        found: list[int] = []
        n = len(key)
        if n <= LONGEST_READ:
            code = _phi(key)
            for mask, lookup in self._tables[n]:  # at most three
                filed = lookup(code & mask)
                if filed is not None:
                    # the bucket agrees on the table's four positions: one AND checks every known one
                    # (a plain loop: buckets hold one or two entries, too few to pay for a comprehension)
                    for slot, known, want in filed:
                        if code & known == want:
                            found.append(slot)
        if self._fallback[min(n, LONGEST_READ + 1)]:
            self._fallback_candidates(key, found)
        return found or None

    def _fallback_candidates(self, key: str, found: list[int]) -> None:
        n = len(key)
        code = _code(key)
        groups, runs = self._probes
        for reach, get, lookup in groups:
            if n >= reach:
                slots = lookup(get(key))
                if slots is not None:
                    found += slots
        for length, mask, lookup in runs:
            for shift in range(0, 8 * (n - length) + 1, 8):
                slots = lookup(code >> shift & mask)
                if slots is not None:
                    found += slots
        found += self._scan

    def _verify(self, plate: str, key: str, slots: dict[int, None]) -> list[tuple[int, float, int]] | None:
        """(slot, score, look-alike substitutions) of every pattern ``plate`` really matches."""
        out: list[tuple[int, float, int]] = []
        for slot in slots:  # dict.fromkeys: a * pattern probed at two offsets is verified once
            entry = self._patterns[slot]
            if entry.literal.fullmatch(plate):
                latin = province = 0
            elif entry.tolerance and entry.klass.fullmatch(key):
                cost = min_substitutions(entry.text, plate)
                if cost is None or sum(cost) > entry.tolerance:
                    continue
                latin, province = cost
            else:
                continue
            score = PARTIAL_WEIGHT * entry.known / len(plate) * certainty(latin, province)
            out.append((slot, score, latin + province))
        return out or None
