"""Index of partial watchlist plates (``?`` one character, ``*`` any run) that a read probes in a few lookups.

Everything is indexed in class-key space (see ``streams.hotpath.confusion``), so one probe finds both the
literal matches and the look-alike ones a tolerant entry allows; a candidate is then verified.

Shapes. A pattern without ``*`` (whose known characters are all plate characters, i.e. one byte each
in class space) is filed under its shape, i.e. its length and which positions it knows, as a byte
mask. A read computes its class key as one int (one byte per character) and probes each shape of its
length with one AND and one dict lookup (~30 ns), and finds exactly the patterns that agree with it on
every known position in class space. Witnesses' partial plates come in few shapes (one or two unknown
characters), so a read of one length probes a few dozen shapes at most.

Anchors. A ``*`` pattern (and a ``?`` pattern with a character no plate has) is filed under the class
characters at up to ``anchor_size`` known positions, counted from the start in the part before the
first ``*`` and from the end (negative positions) in the part after the last ``*``: those offsets
hold for every read the pattern can match. Province positions are never anchors (all provinces share
one class). A new pattern joins the largest existing anchor group whose positions it knows, so groups
stay few. A ``*`` pattern whose prefix and suffix know fewer than 3 characters is filed under a run of
3 or 4 known characters from its middle (probed at every offset of the read); the rest, which no
index narrows, are scanned.

Verification: the literal regex first (0 substitutions); if the entry tolerates misreads and the class
regex matches, the least substitutions over all alignments (a small DP) must be within the tolerance.
Score: ``0.9 * known characters / characters of the read * certainty(substitutions)``, so a partial
match never scores above 0.9 and is always below an exact one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from operator import itemgetter
from typing import Any, Final

from streams.hotpath.confusion import PROVINCE_MARK, certainty, class_key, min_substitutions

__all__ = ["MAX_RUN", "MIN_ANCHOR", "PARTIAL_WEIGHT", "PartialIndex", "is_partial"]

#: a partial match is worth at most this much (times the share of the read its known characters cover)
PARTIAL_WEIGHT: Final = 0.9
#: an anchor shorter than this is used only when nothing better exists
MIN_ANCHOR: Final = 3
#: the longest inner run a floating ``*`` pattern is filed under (longer = fewer false candidates)
MAX_RUN: Final = 4
_WILD: Final = "?*"


def is_partial(pattern: str) -> bool:
    """True if the pattern has a wildcard, i.e. it is a partial plate rather than one exact plate."""
    return "?" in pattern or "*" in pattern


def _regex(pattern: str) -> re.Pattern[str]:
    parts = [".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts), re.DOTALL)


class _Pattern:
    __slots__ = ("klass", "known", "literal", "text", "tolerance", "unfile")

    def __init__(self, text: str, tolerance: int) -> None:
        self.text = text
        self.tolerance = tolerance
        self.known = sum(ch not in _WILD for ch in text)
        self.literal = _regex(text)
        self.klass = _regex(class_key(text))
        self.unfile: Callable[[], object] = list  # replaced by the undo of its filing


#: (known-position byte mask, bound ``get`` of its buckets, buckets: code & mask -> slots)
_Shape = tuple[int, Callable[[int], "list[int] | None"], dict[int, list[int]]]


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


def _shape(key: str) -> int | None:
    """Byte mask of the known positions of a ``?``-only pattern; None if one is beyond Latin-1.

    A province position counts as unknown: all provinces are one class, so knowing it narrows nothing,
    and ``?川A…`` and ``川A…`` patterns then share their shapes (the regex still checks it).
    """
    mask = 0
    for i, ch in enumerate(key):
        if ch not in "?" + PROVINCE_MARK:
            if ord(ch) > 0xFF:
                return None
            mask |= 0xFF << (8 * i)
    return mask


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

    __slots__ = ("_anchor_size", "_floating", "_groups", "_patterns", "_probes", "_scan", "_shapes", "count")

    def __init__(self, anchor_size: int = 4) -> None:
        self._anchor_size = anchor_size
        # ?-only patterns, by length: their shapes (see _Shape)
        self._shapes: dict[int, list[_Shape]] = {}
        self._groups: list[_Group] = []  # * patterns, and ?-only ones with a character beyond Latin-1
        # * patterns by the length and code of an inner run: length -> code -> slots
        self._floating: dict[int, dict[int, list[int]]] = {}
        # what match() walks, rebuilt when a group or run length comes or goes: (reach, getter, lookup)
        # per group, then (length, mask, lookup) per run length
        self._probes: tuple[list[tuple[int, Any, Any]], list[tuple[int, int, Any]]] = ([], [])
        self._scan: list[int] = []
        self._patterns: dict[int, _Pattern] = {}
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def probes(self, length: int) -> int:
        """How many dict lookups (or scanned patterns) a read of this length costs."""
        grouped = sum(g.reach <= length for g in self._groups)
        floating = sum(max(length - n + 1, 0) for n in self._floating)
        return len(self._shapes.get(length, ())) + grouped + floating + len(self._scan)

    def add(self, slot: int, pattern: str, tolerance: int) -> None:
        """File ``pattern`` (with at least one known character) under ``slot``; ValueError if unusable."""
        if not pattern.strip(_WILD):
            raise ValueError(f"partial plate {pattern!r} has no known character")
        entry = _Pattern(pattern, tolerance)
        key = class_key(pattern)
        mask = None if "*" in key else _shape(key)
        positions = _known_positions(key)
        run = _inner_run(key) if "*" in key else None
        if mask is not None:
            entry.unfile = self._file_shape(len(key), mask, _code(key) & mask, slot)
        elif positions and (len(positions) >= MIN_ANCHOR or run is None):
            entry.unfile = self._file_group(positions, key, slot)
        elif run is not None:
            entry.unfile = self._file_floating(run, slot)
        else:
            self._scan.append(slot)
            entry.unfile = functools.partial(self._scan.remove, slot)
        self._patterns[slot] = entry
        self.count += 1

    def _file_shape(self, length: int, mask: int, anchor: int, slot: int) -> Callable[[], None]:
        shapes = self._shapes.setdefault(length, [])
        # the bound buckets.get in a shape saves an attribute lookup per probe
        shape = next((s for s in shapes if s[0] == mask), None)
        if shape is None:
            buckets: dict[int, list[int]] = {}
            shape = (mask, buckets.get, buckets)
            shapes.append(shape)
        undo = _file(shape[2], anchor, slot)

        def unfile() -> None:
            if undo():
                shapes.remove(shape)
                if not shapes:
                    del self._shapes[length]

        return unfile

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
        if entry is not None:
            entry.unfile()
            self.count -= 1

    def match(self, plate: str, key: str) -> list[tuple[int, float, int]] | None:
        """(slot, score) of every pattern matching ``plate`` (whose class key is ``key``), or None."""
        found: list[int] | None = None
        n = len(key)
        code = int.from_bytes(key.encode("latin-1", "replace"), "little")
        for mask, lookup, _ in self._shapes.get(n, ()):
            slots = lookup(code & mask)
            if slots is not None:
                found = slots if found is None else found + slots
        groups, runs = self._probes
        for reach, get, lookup in groups:
            if n >= reach:
                slots = lookup(get(key))
                if slots is not None:
                    found = slots if found is None else found + slots
        for length, mask, lookup in runs:
            for shift in range(0, 8 * (n - length) + 1, 8):
                slots = lookup(code >> shift & mask)
                if slots is not None:
                    found = slots if found is None else found + slots
        if self._scan:
            found = self._scan if found is None else found + self._scan
        if found is None:
            return None
        return self._verify(plate, key, dict.fromkeys(found))

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
