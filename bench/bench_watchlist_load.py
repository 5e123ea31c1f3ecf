"""Benchmark of a hot-path worker's watchlist load: ``WatchlistState.apply`` over N entries, model vs lean.

Run: ``PYTHONPATH=. .venv/bin/python bench/bench_watchlist_load.py`` (1,000,000 entries, about two
minutes; ``--entries 100000`` for a quick look). The entries' bytes are built first as
``bench/hotpath/produce.py`` writes them to the watchlist topic (the control app's canonical form:
``entry_template`` with its fields substituted; the same shares of partial, tolerant and colourless
entries), then each path loads them into a fresh ``WatchlistState`` in a forked child:

* ``model``: ``decode(value, WatchlistEntry)`` and ``upsert(entry)``, what every record cost before the
  lean decoder (and still costs for what it declines);
* ``lean``: ``WatchlistState.apply``, the lean decoder first (``schemas.entry_lean``).

Times are process CPU time (the machine is shared); also wall time, the child's RSS after the load and
its growth. Prints the figures and writes them to ``bench/results/watchlist_load.json`` with the machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import random
import resource
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson

from bench.common import machine
from bench.hotpath.paths import CCPD, ZONE_FILE
from bench.hotpath.produce import CATEGORY_WEIGHTS
from bench.hotpath.records import entry_template
from bench.hotpath.world import Plates, random_uuid, valid_plate
from ops.zone import load_zone_file
from schemas.codec import DecodeError, decode
from schemas.dlq import DlqReason
from schemas.plate_pattern import normalise_pattern
from schemas.vocab import Action, Category, Priority
from schemas.watchlist import WatchlistEntry
from streams.hotpath.watchlist_state import WatchlistState

ROOT = Path(__file__).resolve().parent.parent
Record = tuple[bytes, bytes]


def build(n: int, seed: int, partial_share: float, tolerant_share: float) -> list[Record]:
    """N (key, value) records as ``bench/hotpath/produce.py::produce_watchlist`` produces them."""
    rng, now = random.Random(seed), datetime.now(UTC)
    regions = [r.code for r in load_zone_file(ZONE_FILE).regions]
    ccpd = [p for p in CCPD.read_text(encoding="utf-8").split() if valid_plate(p)]
    rng.shuffle(ccpd)
    plates = Plates(rng, ccpd[: len(ccpd) // 2], n)
    template = entry_template(now)
    template["expires_at"] = orjson.loads(orjson.dumps(now + timedelta(days=365), option=orjson.OPT_UTC_Z))
    approvals = {
        r: [
            {**template["approval"], "unit": f"{r} 公安局", "reference": f"{r}公(刑)布字[2025]{k}号"}
            for k in range(1, 21)
        ]
        for r in regions
    }
    owner_weights = [4.0 if r.endswith("0000") else 1.0 for r in regions]
    categories = [c.value for c in Category]
    category_weights = [CATEGORY_WEIGHTS.get(c, 5) for c in categories]
    actions, priorities = [a.value for a in Action], [p.value for p in Priority]
    descriptions = [None, "白色 大众朗逸", "黑色 丰田凯美瑞", "银色 本田雅阁", "蓝色 五菱宏光"]
    out = []
    for _ in range(n):
        plate, colour = plates.fresh()
        pattern, partial = plate, rng.random() < partial_share
        if partial:
            try:
                pattern = normalise_pattern(plates.partial(plate))
            except ValueError:
                partial = False
        owner = rng.choices(regions, owner_weights)[0]
        entry_id = random_uuid(rng)
        doc = dict(template)
        doc.update(
            entry_id=entry_id,
            owner=owner,
            operator=f"{owner}-{rng.randrange(1, 60):04d}",
            approval=rng.choice(approvals[owner]),
            category=rng.choices(categories, category_weights)[0],
            action=rng.choice(actions),
            priority=rng.choice(priorities),
            plate=pattern,
            plate_colour=None if partial or rng.random() < 0.2 else colour,
            tolerance=1 if rng.random() < tolerant_share else 0,
            description=rng.choice(descriptions),
        )
        out.append((entry_id.encode(), orjson.dumps(doc)))
    return out


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def _load_model(state: WatchlistState, records: list[Record]) -> None:
    for key, value in records:  # WatchlistState.apply before the lean decoder
        entry = decode(value, WatchlistEntry)
        if key.decode("utf-8", "replace") != entry.entry_id:
            raise DecodeError("key is not the entry id", reason=DlqReason.SCHEMA_VIOLATION)
        state.upsert(entry)


def _load_lean(state: WatchlistState, records: list[Record]) -> None:
    apply = state.apply
    for key, value in records:
        apply(key, value)


def _child(path: str, records: list[Record], conn: Connection) -> None:
    gc.collect()
    gc.freeze()  # the records are the parent's: keep them out of the load's collections
    rss0 = _rss_mb()
    state = WatchlistState()
    cpu, wall = time.process_time(), time.perf_counter()
    (_load_model if path == "model" else _load_lean)(state, records)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    rss = _rss_mb()
    n = len(records)
    conn.send(
        {
            "path": path,
            "entries": n,
            "loaded": len(state),
            "cpu_s": round(cpu, 2),
            "wall_s": round(wall, 2),
            "entries_per_cpu_s": round(n / cpu),
            "us_per_entry": round(cpu / n * 1e6, 2),
            "rss_after_mb": round(rss),
            "rss_growth_mb": round(rss - rss0),
        }
    )
    conn.close()


def run(path: str, records: list[Record]) -> dict[str, Any]:
    """Loads ``records`` by ``path`` in a forked child (fresh heap, its own RSS); returns its figures."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(path, records, child))
    proc.start()
    figures: dict[str, Any] = parent.recv()
    proc.join()
    return figures


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--entries", type=int, default=1_000_000)
    p.add_argument("--paths", default="model,lean", help="comma-separated: model, lean")
    p.add_argument("--partial-share", type=float, default=0.02)
    p.add_argument("--tolerant-share", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "watchlist_load.json")
    args = p.parse_args()
    t0 = time.perf_counter()
    records = build(args.entries, args.seed, args.partial_share, args.tolerant_share)
    print(f"built {len(records):,} entries' bytes in {time.perf_counter() - t0:.1f} s", flush=True)
    results = []
    for path in args.paths.split(","):
        figures = run(path, records)
        results.append(figures)
        print(
            f"{path:>5}: {figures['entries_per_cpu_s']:>9,} entries/s CPU,"
            f" {figures['us_per_entry']:6.2f} µs/entry"
            f" ({figures['cpu_s']} s CPU, {figures['wall_s']} s wall), RSS after {figures['rss_after_mb']} MB"
            f" (+{figures['rss_growth_mb']} MB)",
            flush=True,
        )
    report = {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()}, "results": results}
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
