"""Benchmark of ``HitPipeline.process`` in this process: CPU per hit, the model's decoder beside the lean one.

Run: ``PYTHONPATH=. python bench/bench_pipeline.py [--entries N] [--hits N] [--match-rate F] [--repeat N]``.

What it measures: the hot path's own CPU per hit (``time.process_time``; wall-clock rates on a shared
machine vary, CPU per hit holds), no Kafka: a ``HitPipeline`` over a watchlist of ``--entries`` clear
entries is fed pre-built consumed records in batches of ``--batch``, as the worker feeds it. Side by side
in one run, on the same records:

* ``decoder``: ``model`` (``schemas.hit_lean.read_hit_model``: ``decode_fast`` builds a ``CheckpointHit``
  for every hit, as the hot path did before issue 12) or ``lean`` (``read_hit``: the canonical form
  checked by hand, the model built on a match only);
* ``form``: ``connector`` (what the connectors' runtime writes: ``encode`` of the model, every field,
  ``received_at`` set) or ``bench`` (``bench/hotpath/records.py``'s records: no nulls, no
  ``received_at``).

Each configuration runs ``--repeat`` times on a fresh pipeline (the runs interleaved); the best run is
kept. The outputs of the two decoders are compared record by record: the lean decoder must change
nothing but the cost. A decode-only line per form (orjson alone, the lean decoder, ``decode_fast``)
says what the decoder itself costs. Writes ``bench/results/pipeline.json``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.bench_matcher import PlateGen
from bench.common import machine, save_json, table
from bench.hotpath.records import hit_record
from bench.hotpath.world import valid_plate
from ops.zone import load_zone_file
from schemas.codec import decode, decode_fast, encode
from schemas.hit_lean import HitView, lean_hit, read_hit, read_hit_model
from schemas.hits import CheckpointHit
from schemas.topics import Catalogue
from schemas.watchlist import WatchlistEntry
from schemas.zone import Zone
from streams.hotpath.pipeline import HitPipeline
from streams.hotpath.watchlist_state import WatchlistState
from streams.runtime import Record

ROOT = Path(__file__).resolve().parent.parent
ZONE_FILE = ROOT / "ops" / "zones" / "chuanyu.yaml"
RESULT = ROOT / "bench" / "results" / "pipeline.json"
CAT = Catalogue("rax")
DECODERS: dict[str, Callable[[bytes], HitView]] = {"model": read_hit_model, "lean": read_hit}


def _entries(
    n: int, plates: list[tuple[str, str]], regions: list[str], rng: random.Random, now: datetime
) -> Iterator[WatchlistEntry]:
    approval = {"unit": "unit", "approver": "approver", "approved_at": now - timedelta(days=1)}
    for i, (plate, colour) in enumerate(plates[:n]):
        yield WatchlistEntry.model_validate(
            {
                "entry_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "owner": rng.choice(regions),
                "operator": "051234",
                "approval": approval | {"reference": f"ref-{i}"},
                "category": rng.choice(["stolen_vehicle", "fugitive", "drugs"]),
                "action": "intercept",
                "priority": "high",
                "plate": plate,
                "plate_colour": colour,
                "tolerance": rng.choice([0, 1]),
                "legal_basis": "刑事诉讼法",
                "placed_at": now - timedelta(days=1),
                "expires_at": now + timedelta(days=30),
            }
        )


def _plates(n: int, rng: random.Random) -> list[tuple[str, str]]:
    gen, out = PlateGen(rng), list[tuple[str, str]]()
    while len(out) < n:
        plate, colour = gen.plate()
        if valid_plate(plate):
            out.append((plate, colour))
    return out


def _values(
    n: int,
    state: WatchlistState,
    wanted: list[tuple[str, str]],
    regions: list[str],
    rate: float,
    now: datetime,
) -> dict[str, list[tuple[str, bytes, bytes]]]:
    """Per form, ``(region, key, value)`` of ``n`` hits: ``rate`` of them an entry's plate, 1 % re-sent.

    The other plates match no entry (a fresh plate that matches one, a look-alike of an entry's, is
    redrawn): otherwise the match rate, and the cost of the matches, would grow with ``--entries``.
    """
    rng = random.Random(n)
    fresh = [(p, c) for p, c in _plates(n * 2, rng) if not state.match(p, c, now.timestamp())][:n]
    bench: list[tuple[str, bytes, bytes]] = []
    for i in range(n):
        if bench and rng.random() < 0.01:  # a connector's retry: the same record again
            bench.append(bench[-rng.randrange(1, min(len(bench), 50) + 1)])
            continue
        plate, colour = rng.choice(wanted) if rng.random() < rate else fresh[i]
        region = rng.choice(regions)
        t = now - timedelta(seconds=rng.uniform(0, 600))
        event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        value = hit_record(event_id, region, f"{region}-KK-{i % 40:04d}", plate, colour, t, rng.random())
        bench.append((region, plate.encode(), value))
    connector = []
    for region, key, value in bench:  # what the connectors' runtime publishes: encode of the model
        hit = decode(value, CheckpointHit)
        received = hit.pass_time + timedelta(milliseconds=200)
        connector.append((region, key, encode(hit.model_copy(update={"received_at": received}))))
    return {"connector": connector, "bench": bench}


def _digest(out: list[Any]) -> str:
    h = hashlib.sha256()
    for o in out:
        h.update(orjson.dumps([o.topic, o.key, o.value, o.headers], default=bytes.hex))
    return h.hexdigest()[:16]


def _run(
    decoder: str, records: list[Record], state: WatchlistState, zone: Zone, batch: int, now: datetime
) -> tuple[float, dict[str, int], str]:
    pipeline = HitPipeline(CAT, state, lambda: zone, decoder=DECODERS[decoder])
    outputs: list[Any] = []
    counts = {"matches": 0, "duplicates": 0, "dlq": 0}
    gc.collect()
    gc.freeze()  # as the worker does once its watchlist is loaded
    t0 = time.process_time()
    for start in range(0, len(records), batch):
        result = pipeline.process(records[start : start + batch], now)
        outputs += result.out
        counts["matches"] += sum(result.matches.values())
        counts["duplicates"] += sum(result.duplicates.values())
        counts["dlq"] += sum(result.dlq.values())
    cpu = time.process_time() - t0
    gc.unfreeze()
    return cpu, counts, _digest(outputs)


def _decode_only(values: list[bytes]) -> dict[str, float]:
    """CPU µs per hit of the decoder alone (best of 3)."""
    out = {}
    for name, fn in (
        ("orjson.loads", orjson.loads),
        ("lean_hit", lean_hit),
        ("decode_fast", lambda v: decode_fast(v, CheckpointHit)),
    ):
        best = min(_cpu(fn, values) for _ in range(3))
        out[name] = round(best / len(values) * 1e6, 2)
    return out


def _cpu(fn: Callable[[bytes], Any], values: list[bytes]) -> float:
    t0 = time.process_time()
    for v in values:
        fn(v)
    return time.process_time() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--entries", type=int, default=100_000)
    p.add_argument("--hits", type=int, default=100_000)
    p.add_argument("--match-rate", type=float, default=0.0005)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=3, help="runs per configuration (the best is kept)")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--out", type=Path, default=RESULT)
    args = p.parse_args()
    rng, now = random.Random(args.seed), datetime.now(UTC)
    zone = load_zone_file(ZONE_FILE)
    regions = sorted(zone.codes)
    t = time.perf_counter()
    listed = _plates(args.entries, rng)
    state = WatchlistState()
    for entry in _entries(args.entries, listed, regions, rng, now):
        state.upsert(entry)
    print(f"{len(state):,} entries in {time.perf_counter() - t:.0f} s")
    forms = _values(args.hits, state, listed, regions, args.match_rate, now)
    records = {
        form: [Record(CAT.in_hits(r), v, i, i % 3, k) for i, (r, k, v) in enumerate(rows)]
        for form, rows in forms.items()
    }
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for _ in range(args.repeat):
        for form in forms:
            for decoder in DECODERS:
                cpu, counts, digest = _run(decoder, records[form], state, zone, args.batch, now)
                row = best.get((form, decoder))
                if row is None or cpu < row["cpu_s"]:
                    best[(form, decoder)] = {
                        "form": form,
                        "decoder": decoder,
                        "cpu_s": cpu,
                        **counts,
                        "out": digest,
                    }
    rows = []
    for (form, _), row in best.items():
        n = len(records[form])
        model_row = best[(form, "model")]
        assert row["out"] == model_row["out"], f"{form}: the lean decoder changed the output"
        rows.append(
            row
            | {
                "hits": n,
                "cpu_s": round(row["cpu_s"], 3),
                "cpu_us_per_hit": round(row["cpu_s"] / n * 1e6, 2),
                "x_model": round(row["cpu_s"] / model_row["cpu_s"], 2),
            }
        )
    columns = ["form", "decoder", "hits", "cpu_us_per_hit", "x_model", "matches", "duplicates", "dlq"]
    print(table(columns, [[row[c] for c in columns] for row in rows]))
    decode_only = {form: _decode_only([r.value() or b"" for r in records[form]]) for form in forms}
    for form, figures in decode_only.items():
        print(f"decode only, {form} form, CPU µs/hit: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    save_json(
        args.out,
        {
            "machine": machine(),
            "args": {k: str(v) for k, v in vars(args).items()},
            "rows": rows,
            "decode_only_us_per_hit": decode_only,
        },
    )
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
