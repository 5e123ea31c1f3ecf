"""Benchmark of the hot path's pure logic: watchlist index build, memory and match cost, and dedup cost.

Run: ``PYTHONPATH=. python bench/bench_matcher.py`` (about two minutes; ``--entries 100000`` for a
quick look). Plates are generated per ``schemas/data/plate_rules.json`` with a 川渝-zone skew: province,
authority letter, a GA 36 serial (digits, up to two letters), new-energy, police, coach, trailer and
cross-border plates, each with its colour. Times are CPU time (the machine is shared); prints the
figures and writes them to ``bench/results/matcher.json`` with the machine's description.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streams.hotpath.confusion import classes_of
from streams.hotpath.dedup import DedupWindow
from streams.hotpath.matcher import WatchlistIndex

ROOT = Path(__file__).resolve().parent.parent
RULES = json.loads((ROOT / "schemas" / "data" / "plate_rules.json").read_text(encoding="utf-8"))
PROVINCES = [p["abbr"] for p in RULES["province_abbreviations"]]
LETTERS = RULES["city_letter_alphabet"]
DIGITS = "0123456789"
NOW = 1_750_000_000.0
Plate = tuple[str, str]  # (normalised plate, colour)


class PlateGen:
    """Realistic plates of a 川渝-centred zone."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        focus = dict(zip("川渝贵云陕湘鄂粤", (0.35, 0.25, 0.06, 0.06, 0.03, 0.03, 0.03, 0.03), strict=True))
        rest = (1 - sum(focus.values())) / (len(PROVINCES) - len(focus))
        self.prov_w = [focus.get(p, rest) for p in PROVINCES]
        self.letter_w = [0.7**i for i in range(len(LETTERS))]

    def _serial(self, n: int) -> str:
        rng = self.rng
        chars = [rng.choice(DIGITS) for _ in range(n)]
        letters = rng.choices((0, 1, 2), (0.35, 0.45, 0.2))[0]  # GA 36-2018 serials: mostly with letters
        for pos in rng.sample(range(n), letters):
            chars[pos] = rng.choice(LETTERS)
        return "".join(chars)

    def plate(self) -> Plate:
        rng = self.rng
        prov = rng.choices(PROVINCES, self.prov_w)[0]
        head = prov + rng.choices(LETTERS, self.letter_w)[0]
        kind = rng.random()
        if kind < 0.84:
            return head + self._serial(5), rng.choices(("blue", "yellow"), (0.85, 0.15))[0]
        if kind < 0.96:  # new-energy, small vehicle
            return head + rng.choice("DF") + rng.choice(LETTERS + DIGITS) + self._serial(4), "green"
        if kind < 0.98:
            return head + self._serial(4) + rng.choice("学挂"), "yellow"
        if kind < 0.99:
            return head + "".join(rng.choices(DIGITS, k=4)) + "警", "white"
        return "粤Z" + "".join(rng.choices(DIGITS, k=4)) + rng.choice("港澳"), "black"

    def partial(self) -> str:
        """A witness's partial plate: one or two characters not seen (maybe the province), or runs."""
        rng = self.rng
        plate, _ = self.plate()
        chars = list(plate)
        form = rng.random()
        if form < 0.70:
            for pos in rng.sample(range(2, len(chars)), 1 if form < 0.5 else 2):
                chars[pos] = "?"
            if form >= 0.65:
                chars[0] = "?"
            return "".join(chars)
        if form < 0.85:
            return plate[:3] + "*" + plate[-3:]
        if form < 0.97:
            return "*" + plate[-5:]
        return "*" + plate[2:6] + "*"


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def machine() -> dict[str, Any]:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((x.split(":")[1].strip() for x in lines if x.startswith("model name")), "?")
    load = os.getloadavg()  # the machine is shared: other work running makes every figure worse
    return {"cpu": cpu, "cores": os.cpu_count(), "python": sys.version.split()[0], "load_average": load}


def make_entries(gen: PlateGen, n: int, partial_share: float) -> list[tuple[Any, ...]]:
    rng = gen.rng
    entries: list[tuple[Any, ...]] = []
    for _ in range(n):
        entry_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        expires = NOW - 3600 if rng.random() < 0.01 else NOW + rng.uniform(3600, 90 * 86400)
        if rng.random() < partial_share:
            pattern, colour, tol = gen.partial(), None, rng.choices((0, 1), (0.8, 0.2))[0]
        else:
            pattern, colour = gen.plate()
            tol = rng.choices((0, 1, 2), (0.8, 0.15, 0.05))[0]
            colour = colour if rng.random() < 0.8 else None
        entries.append((entry_id, pattern, colour, tol, expires, len(entries)))
    return entries


def build(entries: list[tuple[Any, ...]], fresh: bool = False) -> WatchlistIndex:
    """The index of ``entries``; ``fresh`` gives it its own id and plate strings, as decoding would."""
    index = WatchlistIndex()
    for entry_id, pattern, *rest in entries:
        if fresh:
            entry_id, pattern = entry_id.encode().decode(), pattern.encode().decode()
        index.upsert(entry_id, pattern, *rest)
    return index


def timed(fn: Callable[[str, str | None, float], Any], hits: list[Plate], repeats: int = 3) -> float:
    """µs of CPU per call in a batch loop, the best of ``repeats``."""
    best = math.inf
    for _ in range(repeats if hits else 0):
        start = time.process_time()
        for plate, colour in hits:
            fn(plate, colour, NOW)
        best = min(best, (time.process_time() - start) / len(hits) * 1e6)
    return round(best, 3)


def percentiles(fn: Callable[[str, str | None, float], Any], hits: list[Plate]) -> dict[str, float]:
    """Per-call wall-clock latency: includes being descheduled, so only meaningful on an idle machine."""
    clock = time.perf_counter_ns
    samples = []
    for plate, colour in hits:
        start = clock()
        fn(plate, colour, NOW)
        samples.append(clock() - start)
    overhead = min(clock() - clock() for _ in range(1000))
    cuts = statistics.quantiles(samples, n=100)
    return {"p50_us": round((cuts[49] - overhead) / 1e3, 3), "p99_us": round((cuts[98] - overhead) / 1e3, 3)}


def memory(entries: list[tuple[Any, ...]]) -> dict[str, float]:
    """The index's memory with its own strings: RSS delta of one build, tracemalloc of another."""
    before = rss_mb()
    index = build(entries, fresh=True)
    rss = rss_mb() - before
    del index
    tracemalloc.start()
    _kept = build(entries, fresh=True)
    traced = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    return {"index_rss_mb": round(rss, 1), "index_tracemalloc_mb": round(traced, 1)}


def candidates(index: WatchlistIndex, hits: list[Plate]) -> dict[str, float]:
    """Per hit, on average: partial-index entries its probes return, and patterns verified by regex."""
    counts = [index.partial_candidates(plate) for plate, _ in hits]
    n = max(len(hits), 1)
    return {
        "entries": round(sum(e for e, _ in counts) / n, 3),
        "verified": round(sum(v for _, v in counts) / n, 3),
    }


def plant(gen: PlateGen, index: WatchlistIndex, entries: list[tuple[Any, ...]], n: int) -> list[Plate]:
    """Hits made from live entries: the plate itself, a misread within tolerance, a fill of a pattern."""
    rng, live = gen.rng, [e for e in entries if e[4] > NOW]
    planted: list[Plate] = []
    while len(planted) < n:
        _, pattern, wanted, tol, _, _ = rng.choice(live)
        colour: str = wanted or rng.choice(("blue", "yellow"))
        chars = list(pattern)
        options = [i for i, ch in enumerate(chars) if len(classes_of(ch)) > 1]
        for i in rng.sample(options, min(len(options), rng.randint(0, tol))):  # a misread within tolerance
            chars[i] = rng.choice([c for c in classes_of(chars[i]) if c != chars[i]])
        made = "".join(chars)
        if "?" in pattern or "*" in pattern:
            made = "".join(rng.choice(DIGITS) if ch == "?" else "12" if ch == "*" else ch for ch in pattern)
        if index.match(made, colour, NOW):
            planted.append((made, colour))
    return planted


def bench_matcher(args: argparse.Namespace, gen: PlateGen) -> dict[str, Any]:
    entries = make_entries(gen, args.entries, args.partial_share)
    start = time.process_time()
    index = build(entries)
    build_s = time.process_time() - start
    mem = memory(entries)
    natural: list[Plate] = []
    no_match: list[Plate] = []
    naturally_matched: list[Plate] = []
    while len(no_match) < args.hits:  # realistic plates; those that happen to match are kept apart
        hit = gen.plate()
        natural.append(hit)
        (naturally_matched if index.match(*hit, NOW) else no_match).append(hit)
    planted = plant(gen, index, entries, max(1, round(args.hits * args.match_rate)))
    stream = no_match[: args.hits - len(planted)]
    for hit in planted:  # at random places, without reordering the rest (a shuffle costs cache misses)
        stream.insert(gen.rng.randrange(len(stream) + 1), hit)
    matching = planted + naturally_matched
    found = [index.match(p, c, NOW) for p, c in matching]
    lengths = sorted({len(p) for p, _ in no_match})
    result = {
        "entries": len(index),
        "partial_entries": index.partial_count,
        "build_s": round(build_s, 2),
        **mem,
        "bytes_per_entry": round(mem["index_tracemalloc_mb"] * 2**20 / len(entries)),
        "probes_per_hit_by_length": {n: index.probes(n) for n in lengths},
        # the partial index alone: dict lookups per hit, and the candidates they return for verification
        "partial_probes_per_hit_by_length": {n: index.partial_probes(n) for n in lengths},
        "partial_candidates_per_hit_no_match": candidates(index, no_match[:200_000]),
        "partial_candidates_per_hit_match": candidates(index, matching),
        "natural_match_rate": round(len(naturally_matched) / len(natural), 5),
        "stream_match_rate": round(len(planted) / len(stream), 5),
        "matching_hits_by_kind": {
            k: sum(any(r.kind == k for r in f) for f in found) for k in ("exact", "misread", "partial")
        },
        "us_per_hit_stream": timed(index.match, stream),
        "us_per_hit_no_match": timed(index.match, no_match),
        "us_per_hit_match": timed(index.match, matching),
        "no_match_percentiles": percentiles(index.match, no_match[:200_000]),
        "match_percentiles": percentiles(index.match, matching),
    }
    del index, found
    partial_only = [e for e in entries if "?" in e[1] or "*" in e[1]]
    start = time.process_time()
    build(partial_only)
    result["partial_build_s"] = round(time.process_time() - start, 3)
    exact_only = build([e for e in entries if not ("?" in e[1] or "*" in e[1])])
    result["us_per_hit_no_match_without_partial_entries"] = timed(exact_only.match, no_match)
    return result


def dedup_hits(gen: PlateGen, n: int, start: float, rate: float, recent: list[tuple[Any, ...]]) -> list[Any]:
    rng = gen.rng
    out: list[tuple[Any, ...]] = []
    for i in range(n):
        t = start + i / rate
        if recent and rng.random() < 0.01:  # the same pass again: a second camera, or a retry
            eid, plate, colour, cp, t0 = rng.choice(recent[-2000:])
            eid = eid if rng.random() < 0.5 else str(uuid.UUID(int=rng.getrandbits(128), version=4))
            hit = (eid, plate, colour, cp, t0 + rng.uniform(0, 3))
        else:
            plate, colour = gen.plate()
            late = rng.uniform(0, 3) if rng.random() < 0.05 else 0.0
            cp = f"510100{rng.randrange(2000):012d}"
            hit = (str(uuid.UUID(int=rng.getrandbits(128), version=4)), plate, colour, cp, t - late)
        out.append(hit)
        recent.append(hit)
    del recent[:-2000]
    return out


def bench_dedup(args: argparse.Namespace, gen: PlateGen) -> dict[str, Any]:
    window = DedupWindow(window_s=10.0)
    recent: list[tuple[Any, ...]] = []
    elapsed, dups, total, t = 0.0, 0, 0, NOW
    for _ in range(args.dedup_chunks):  # 100k hits per chunk = 1 s of event time at 100k hits/s
        chunk = dedup_hits(gen, 100_000, t, args.dedup_rate, recent)
        t += 100_000 / args.dedup_rate
        seen = window.seen
        start = time.process_time()
        for hit in chunk:
            dups += seen(*hit)
        elapsed += time.process_time() - start
        total += len(chunk)
    tracemalloc.start()
    probe = DedupWindow(window_s=10.0)
    for hit in dedup_hits(gen, 200_000, NOW, args.dedup_rate, []):
        probe.seen(*hit)
    per_entry = tracemalloc.get_traced_memory()[0] / len(probe)
    tracemalloc.stop()
    return {
        "hits": total,
        "retention_s": window.retention_s,
        "duplicate_rate": round(dups / total, 4),
        "us_per_hit": round(elapsed / total * 1e6, 3),
        "entries_at_end": len(window),
        "bytes_per_entry": round(per_entry),
        "state_mb_at_end": round(len(window) * per_entry / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--partial-share", type=float, default=0.01)
    parser.add_argument("--hits", type=int, default=1_000_000)
    parser.add_argument("--match-rate", type=float, default=0.0005)
    parser.add_argument("--dedup-chunks", type=int, default=30, help="100k hits each")
    parser.add_argument("--dedup-rate", type=float, default=100_000.0, help="event-time hits per second")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "matcher.json")
    args = parser.parse_args()
    gen = PlateGen(random.Random(args.seed))
    result = {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()}}
    result["matcher"] = bench_matcher(args, gen)
    print(json.dumps(result["matcher"], indent=1, ensure_ascii=False), flush=True)
    result["dedup"] = bench_dedup(args, gen)
    print(json.dumps(result["dedup"], indent=1), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
