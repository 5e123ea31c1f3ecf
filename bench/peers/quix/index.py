"""The peer's watchlist lookup, pure: exact plates, look-alike misreads within a tolerance, partial plates.

What it matches, and how it differs from ``streams.hotpath.matcher`` (which the peer cannot import:
that module pulls in RAX's ``schemas`` package and its dependencies):

* exact: the hit's plate is the entry's plate (one dict lookup);
* misread: the hit's plate folded to its look-alike classes (``8B`` → ``8``, every province
  character → one) is a tolerant entry's folded plate, and the two differ in at most ``tolerance``
  characters (a dict lookup plus a ``str.translate``; differences are within a class by construction);
* partial: ``?`` one unknown character, ``*`` any run. Patterns of one or two ``?`` (after the
  first two characters) and no ``*`` are filed under a block of characters they know: the rest of the
  plate after its first two characters cut into as many blocks as unknowns plus one, so one block is
  whole (pigeonhole; the longest whole block is the key); a hit probes each block of its length with
  its first two characters (5 probes), then compares a candidate's known runs; patterns
  ``prefix*suffix`` with a suffix of three or more known characters by the suffix's last three (one
  probe, then ``startswith`` / ``endswith``); any other pattern (a handful: ``川A1?3*``) by a regular
  expression, tried on the hits with its first two characters.
  Unlike the hot path, a partial's ``tolerance`` is not applied to its known characters (a partial
  matches only exact reads of what it knows), and the scores are simpler.

Colours as in the hot path: an entry with a colour matches only hits of that colour. Not checked:
expiry and ``placed_at`` (the benchmark's entries are in force for a year), scopes (they have none).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import NamedTuple

_NONE: tuple[()] = ()


class Entry(NamedTuple):
    """What a delivery needs of one watchlist entry."""

    entry_id: str
    owner: str
    category: str
    action: str
    priority: str
    plate: str
    colour: str | None
    tolerance: int


class Found(NamedTuple):
    """One entry matched by one hit: how and how well."""

    entry: Entry
    kind: str  # exact | misread | partial
    score: float


class _Unknowns(NamedTuple):
    """A pattern with one or two ``?``: what it knows before the first, after the last and between."""

    before: str
    after: str
    between_at: int
    between: str
    entry: Entry


class PeerIndex:
    """Entries by plate, by folded plate (tolerant ones), by masked pattern and by suffix.

    Lifecycle: filled with ``add`` before the first hit, then only read (``match`` per hit).
    """

    def __init__(self, lookalike_classes: Iterable[str]) -> None:
        self._fold = str.maketrans({ch: members[0] for members in lookalike_classes for ch in members})
        self._exact: dict[str, list[Entry]] = {}
        self._folded: dict[str, list[Entry]] = {}
        #: plate length -> [(start, end, first two characters + pattern[start:end] -> [_Unknowns])]
        self._blocks: dict[int, list[tuple[int, int, dict[str, list[_Unknowns]]]]] = {}
        self._stars: dict[str, list[tuple[str, str, Entry]]] = {}
        #: first two characters (or "" when one of them is unknown) -> [(regex, entry)]
        self._other: dict[str, list[tuple[re.Pattern[str], Entry]]] = {}
        self.entries = 0

    def add(self, e: Entry) -> None:
        self.entries += 1
        pattern = e.plate
        if "?" not in pattern and "*" not in pattern:
            self._exact.setdefault(pattern, []).append(e)
            if e.tolerance:
                self._folded.setdefault(pattern.translate(self._fold), []).append(e)
            return
        unknown = [i for i, ch in enumerate(pattern) if ch == "?"]
        if "*" not in pattern and len(unknown) <= 2 and min(unknown) >= 2:
            # pigeonhole: cut the characters after the first two into len(unknown) + 1 blocks; one of
            # them is fully known, and the pattern is filed under the longest such (the last of equals)
            known = [(end - start, start, end) for start, end in _cuts(len(pattern), len(unknown) + 1)]
            _, start, end = max(k for k in known if all(not k[1] <= i < k[2] for i in unknown))
            first, last = unknown[0], unknown[-1]
            checks = _Unknowns(pattern[:first], pattern[last + 1 :], first + 1, pattern[first + 1 : last], e)
            block = self._block(len(pattern), start, end)
            block.setdefault(pattern[:2] + pattern[start:end], []).append(checks)
            return
        prefix, _, suffix = pattern.partition("*")
        if not unknown and pattern.count("*") == 1 and len(suffix) >= 3:
            self._stars.setdefault(suffix[-3:], []).append((prefix, suffix, e))
            return
        parts = [".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern]
        head = pattern[:2] if "?" not in pattern[:2] and "*" not in pattern[:2] else ""
        self._other.setdefault(head, []).append((re.compile("".join(parts) + r"\Z"), e))

    def match(self, plate: str, colour: str | None) -> list[Found]:
        """Every entry ``plate`` (read with ``colour``) matches; empty for the vast majority of hits."""
        out: list[Found] = []
        for e in self._exact.get(plate, _NONE):
            if e.colour is None or e.colour == colour:
                out.append(Found(e, "exact", 1.0))
        for e in self._folded.get(plate.translate(self._fold), _NONE):
            if e.plate != plate and (e.colour is None or e.colour == colour) and len(e.plate) == len(plate):
                edits = sum(a != b for a, b in zip(e.plate, plate, strict=True))
                if edits <= e.tolerance:
                    out.append(Found(e, "misread", 1.0 - 0.15 * edits))
        head = plate[:2]
        for start, end, block in self._blocks.get(len(plate), _NONE):
            for u in block.get(head + plate[start:end], _NONE):
                if (
                    plate.startswith(u.before)
                    and plate.endswith(u.after)
                    and plate[u.between_at : u.between_at + len(u.between)] == u.between
                ):
                    known = len(u.before) + len(u.between) + len(u.after)
                    out.append(Found(u.entry, "partial", 0.9 * known / len(plate)))
        for prefix, suffix, e in self._stars.get(plate[-3:], _NONE):
            if (
                len(plate) >= len(prefix) + len(suffix)
                and plate.startswith(prefix)
                and plate.endswith(suffix)
            ):
                out.append(Found(e, "partial", 0.9 * (len(prefix) + len(suffix)) / len(plate)))
        for regex, e in (*self._other.get(head, _NONE), *self._other.get("", _NONE)):
            if regex.match(plate):
                known = sum(ch not in "?*" for ch in e.plate)
                out.append(Found(e, "partial", 0.9 * known / len(plate)))
        return out

    def block_probes(self, length: int) -> int:
        """How many block probes (partial plates with ``?``) a hit of ``length`` characters costs."""
        return len(self._blocks.get(length, _NONE))

    def _block(self, length: int, start: int, end: int) -> dict[str, list[_Unknowns]]:
        blocks = self._blocks.setdefault(length, [])
        for s, t, block in blocks:
            if (s, t) == (start, end):
                return block
        blocks.append((start, end, {}))
        return blocks[-1][2]


def _cuts(length: int, parts: int) -> list[tuple[int, int]]:
    """The characters after the first two of a ``length``-character plate cut into ``parts`` blocks."""
    body = length - 2
    edges = [2 + body * k // parts for k in range(parts + 1)]
    return list(itertools.pairwise(edges))


__all__ = ["Entry", "Found", "PeerIndex"]
