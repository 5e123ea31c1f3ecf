"""Benchmark of the escalation rules' pure logic: cost per read, and false clone suspicions on normal traffic.

Run: ``PYTHONPATH=. python bench/bench_escalate.py`` (``--reads 200000`` for a quick look). Normal traffic:
vehicles with distinct plates drive routes between checkpoints scattered over a 400 × 300 km box (about
the 川渝 zone), at 40–120 km/h over roads 1.1–1.6 × the straight line, with camera clocks off by up to
±60 s, every tenth read sent twice and 1 % misread (a character swapped, confidence 0.5–0.95; the plates
are dense, so a misread is often another vehicle's plate). ``--clones`` plates are driven by a second car
too, on its own route (real clones: the rule must still find them). Every read goes through
``rules.observe`` with its plate's state round-tripped through JSON, as the processor's store does. No
broker: the figures are the rules' CPU cost; the end-to-end figures are ``bench_hotpath.py --escalate``'s.
Prints the figures and writes them to ``bench/results/escalate.json`` with the machine's description.
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
import uuid
from pathlib import Path

import orjson

from bench.common import machine, save_json, table
from schemas.escalation import CheckpointSite, ClonedPlateRule, EscalationRules
from streams.escalate.geo import Sites, great_circle_km
from streams.escalate.rules import VehicleState, observe
from streams.escalate.seen import Seen

ROOT = Path(__file__).resolve().parent.parent
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def _sites(rng: random.Random, n: int) -> list[CheckpointSite]:
    return [
        CheckpointSite(
            checkpoint_id=f"K{i:04d}", lat=28.5 + rng.random() * 2.7, lon=103.0 + rng.random() * 4.2
        )
        for i in range(n)
    ]


def _traffic(
    rng: random.Random, sites: list[CheckpointSite], reads: int, vehicles: int, misread: float, clones: int
) -> list[Seen]:
    """Reads in pass-time order (as camera clocks report them) of ``vehicles`` driving random routes."""
    out: list[tuple[float, int, Seen]] = []
    n = 0
    for v in [*range(clones), *range(vehicles)]:  # the first ``clones`` plates are driven twice
        plate = f"川{_LETTERS[v % 24]}{v:05d}"[:8]
        here, t = rng.choice(sites), rng.random() * 86400
        while n < reads and t < 2 * 86400:
            there = rng.choice(sites)
            km = great_circle_km(here, there) * rng.uniform(1.1, 1.6)
            t += km / rng.uniform(40, 120) * 3600 + rng.uniform(60, 1800)
            here = there
            text, confidence = plate, rng.uniform(0.85, 1.0)
            if rng.random() < misread:  # a misread: one character swapped
                i = rng.randrange(2, len(plate))
                text, confidence = plate[:i] + rng.choice(_LETTERS) + plate[i + 1 :], rng.uniform(0.5, 0.95)
            seen = Seen(
                str(uuid.UUID(int=rng.getrandbits(128))),
                text,
                "blue",
                "510000",
                here.checkpoint_id,
                t + rng.uniform(-60, 60),
                trusted=confidence >= 0.8,
            )
            copies = 2 if rng.random() < 0.1 else 1
            for _ in range(copies):
                n += 1
                out.append((seen.t, n, seen))
        if n >= reads:
            break
    return [s for _, _, s in heapq.nsmallest(len(out), out)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=1_000_000)
    parser.add_argument("--vehicles", type=int, default=100_000)
    parser.add_argument("--checkpoints", type=int, default=400)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--misread", type=float, default=0.01, help="Share of reads misread.")
    parser.add_argument(
        "--clones", type=int, default=200, help="Plates driven by a second vehicle too (real clones)."
    )
    parser.add_argument(
        "--corroborating", type=int, default=2, help="The rule's corroborating_checkpoints (1: none)."
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    sites = _sites(rng, args.checkpoints)
    rule = ClonedPlateRule(corroborating_checkpoints=args.corroborating)
    rules = EscalationRules(cloned_plate=rule, checkpoints=tuple(sites))
    by_id = Sites({s.checkpoint_id: s for s in sites})  # as the processor keeps them (distances cached)
    reads = _traffic(rng, sites, args.reads, args.vehicles, args.misread, args.clones)
    cloned = {f"川{_LETTERS[v % 24]}{v:05d}"[:8] for v in range(args.clones)}
    store: dict[str, bytes] = {}
    fired, found = 0, set()
    t0 = time.process_time()
    for seen in reads:
        state = VehicleState.from_json(orjson.loads(store[seen.plate]) if seen.plate in store else None)
        for _ in observe(state, seen, rules, by_id):
            if seen.plate in cloned:
                found.add(seen.plate)
            else:
                fired += 1
        store[seen.plate] = orjson.dumps(state.to_json())
    cpu = time.process_time() - t0
    result = {
        "machine": machine(),
        "parameters": {**rule.model_dump(mode="json"), **vars(args)},
        "reads": len(reads),
        "cpu_seconds": round(cpu, 2),
        "reads_per_cpu_second": round(len(reads) / cpu),
        "false_clone_suspicions": fired,
        "per_million_reads": round(fired / len(reads) * 1e6, 2),
        "planted_clones": len(cloned),
        "planted_clones_found": len(found),
    }
    print(f"parameters: {result['parameters']}")
    skip = ("machine", "parameters")
    print(table(["figure", "value"], [[k, v] for k, v in result.items() if k not in skip]))
    save_json(ROOT / "bench" / "results" / "escalate.json", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
