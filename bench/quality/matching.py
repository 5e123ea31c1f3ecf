"""The matching half of the quality bench: a watchlist index of wanted and filler entries, reads against it.

Every match is checked against the matcher's contract: ``exact`` only for the entry's own plate with
0 edits; ``misread`` only for a read of the same length whose differing characters are each within a
look-alike class, as many as the match's ``edits`` says and no more than the entry's tolerance. A
sample of reads is also checked the other way round, by enumerating every plate within two
look-alike substitutions and looking it up: the matcher must find exactly those entries.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bench.quality.reads import READ_KINDS, make_read
from schemas.plates import PlateError, read_plate
from schemas.plates.lookalikes import PROVINCE_CLASS, lookalikes_of
from streams.hotpath.matcher import MatchResult, WatchlistIndex
from streams.hotpath.seen import SeenPlates

__all__ = ["Tally", "Watchlist", "cross_check", "innocent", "innocent_known", "wanted_reads"]

NOW = 1_750_000_000.0


@dataclass
class Watchlist:
    """The index and, by slot (the index's ``ref``), each entry's plate and tolerance."""

    index: WatchlistIndex = field(default_factory=WatchlistIndex)
    plates: list[str] = field(default_factory=list)
    tolerance: list[int] = field(default_factory=list)
    by_plate: dict[str, list[int]] = field(default_factory=dict)

    def add(self, plate: str, tolerance: int) -> int:
        slot = len(self.plates)
        self.index.upsert(f"e{slot:08d}", plate, None, tolerance, math.inf, slot)
        self.plates.append(plate)
        self.tolerance.append(tolerance)
        self.by_plate.setdefault(plate, []).append(slot)
        return slot


def keeps_contract(read: str, entry_plate: str, tolerance: int, result: MatchResult) -> bool:
    """Whether ``result`` is a match the matcher may report, with the right number of edits."""
    if result.kind == "exact":
        return entry_plate == read and result.edits == 0
    if result.kind != "misread" or len(read) != len(entry_plate):
        return False
    diffs = [(a, b) for a, b in zip(read, entry_plate, strict=True) if a != b]
    within = all(b in lookalikes_of(a) for a, b in diffs)
    return within and 0 < len(diffs) == result.edits <= tolerance


@dataclass
class Tally:
    """Counts of one population of reads."""

    reads: Counter[str] = field(default_factory=Counter)  # by key (read kind, or kind:tolerance)
    reached: Counter[str] = field(default_factory=Counter)  # accepted as reads, so matched
    found: Counter[str] = field(default_factory=Counter)  # the source entry among the matches
    #: … and delivered: not a misread match of a read the known-vehicle memory withholds
    delivered: Counter[str] = field(default_factory=Counter)
    false_exact: Counter[str] = field(default_factory=Counter)  # matches of exact entries of other plates
    false_tolerant: Counter[str] = field(default_factory=Counter)  # … of tolerant entries
    #: tolerant false hits by "tolerance N: P province + L Latin substitutions"
    false_by_edit: Counter[str] = field(default_factory=Counter)
    matches: int = 0
    broken_contract: int = 0
    known: int = 0  # reads of known vehicles (their misread matches withheld)
    examples: list[tuple[str, str, str]] = field(default_factory=list)  # (read, entry plate, why)

    def match(self, wl: Watchlist, key: str, true_plate: str, read: str) -> list[MatchResult]:
        """Match ``read``, count its false hits under ``key`` and check every match; returns the matches."""
        results = wl.index.match(read, None, NOW)
        for r in results:
            self.matches += 1
            entry_plate = wl.plates[r.ref]
            if not keeps_contract(read, entry_plate, wl.tolerance[r.ref], r):
                self.broken_contract += 1
                if len(self.examples) < 5:
                    self.examples.append((read, entry_plate, f"{r.kind} edits={r.edits}"))
            if entry_plate == true_plate:
                continue
            if wl.tolerance[r.ref]:
                self.false_tolerant[key] += 1
                province = sum(a != b and a in PROVINCE_CLASS for a, b in zip(read, entry_plate, strict=True))
                edit = f"tolerance {wl.tolerance[r.ref]}: {province} province + {r.edits - province} Latin"
                self.false_by_edit[edit] += 1
            else:
                self.false_exact[key] += 1
        return results


def wanted_reads(
    wl: Watchlist, wanted: list[tuple[str, int, int]], rng: random.Random, seen: SeenPlates | None = None
) -> Tally:
    """Every read kind of every wanted plate (canonical plate, tolerance, slot): recall and false hits.

    With ``seen`` (the zone's known vehicles), ``delivered`` counts the wanted entry among the matches
    the hot path delivers: a misread match of a read that is a known vehicle is withheld.
    """
    tally = Tally()
    for plate, tolerance, slot in wanted:
        for kind in READ_KINDS:
            raw = make_read(kind, plate, rng)
            if raw is None:
                continue
            key = f"{kind}:{tolerance}"
            tally.reads[key] += 1
            try:
                read = read_plate(raw).text
            except PlateError:
                continue
            tally.reached[key] += 1
            results = tally.match(wl, key, plate, read)
            mine = [r for r in results if r.ref == slot]
            tally.found[key] += bool(mine)
            known = seen is not None and seen.known(read)
            tally.delivered[key] += any(r.kind != "misread" or not known for r in mine)
    return tally


def innocent(wl: Watchlist, population: str, plates: Iterable[str]) -> tuple[Tally, float]:
    """Correct reads of vehicles (their own plates): every match to another plate is a false hit.

    Also returns the CPU µs per ``index.match`` call over these reads.
    """
    tally = Tally()
    reads = []
    for plate in plates:
        tally.reads[population] += 1
        try:
            reads.append(read_plate(plate).text)
        except PlateError:
            continue
    tally.reached[population] = len(reads)
    match = wl.index.match
    start = time.process_time()
    for read in reads:
        match(read, None, NOW)
    per_read = (time.process_time() - start) / max(len(reads), 1) * 1e6
    for read in reads:
        tally.match(wl, population, read, read)
    return tally, per_read


def innocent_known(
    wl: Watchlist, population: str, reads: Iterable[tuple[str, bool]]
) -> tuple[Tally, Tally, float]:
    """Correct reads of the zone's traffic, each with whether it is a known vehicle (``SeenPlates``).

    Returns the false hits of the text alone, those the hot path delivers (a known vehicle's misread
    matches are withheld, so only the other reads' matches count), and the CPU µs per ``index.match``.
    """
    text, evidence = Tally(), Tally()
    normalised: list[tuple[str, bool]] = []
    for plate, known in reads:
        for t in (text, evidence):
            t.reads[population] += 1
        try:
            normalised.append((read_plate(plate).text, known))
        except PlateError:
            continue
    for t in (text, evidence):
        t.reached[population] = len(normalised)
    match = wl.index.match
    start = time.process_time()
    for read, _ in normalised:
        match(read, None, NOW)
    per_read = (time.process_time() - start) / max(len(normalised), 1) * 1e6
    for read, known in normalised:
        text.match(wl, population, read, read)
        if known:
            evidence.known += 1
        else:
            evidence.match(wl, population, read, read)
    return text, evidence, per_read


def _neighbours(read: str, depth: int) -> set[str]:
    """Every text within ``depth`` look-alike substitutions of ``read`` (itself included)."""
    options = [(i, [c for c in lookalikes_of(ch) if c != ch]) for i, ch in enumerate(read)]
    options = [(i, alts) for i, alts in options if alts]
    out = {read}
    for n in range(1, depth + 1):
        for chosen in itertools.combinations(options, n):
            for swap in itertools.product(*(alts for _, alts in chosen)):
                chars = list(read)
                for (i, _), ch in zip(chosen, swap, strict=True):
                    chars[i] = ch
                out.add("".join(chars))
    return out


def cross_check(wl: Watchlist, reads: list[str]) -> dict[str, int]:
    """Matcher vs enumeration on ``reads``: entries the matcher missed, and entries it found extra."""
    missed = extra = expected_total = 0
    for read in reads:
        expected: set[int] = set()
        for text in _neighbours(read, 2):
            distance = sum(a != b for a, b in zip(read, text, strict=True))
            expected.update(s for s in wl.by_plate.get(text, ()) if distance <= wl.tolerance[s])
        got = {r.ref for r in wl.index.match(read, None, NOW)}
        missed += len(expected - got)
        extra += len(got - expected)
        expected_total += len(expected)
    return {"reads": len(reads), "expected_matches": expected_total, "missed": missed, "extra": extra}
