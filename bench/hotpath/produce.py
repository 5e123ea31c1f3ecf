"""Pre-production of the load: the watchlist and the hits on the broker, and the latency phase's plan."""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.hotpath.clients import flush, make_producer, produce
from bench.hotpath.macs import HitMacs
from bench.hotpath.paths import CCPD
from bench.hotpath.procs import Run
from bench.hotpath.records import entry_template
from bench.hotpath.world import HitMaker, Plates, Target, World, random_uuid, valid_plate
from schemas.blind_entries import make_blind
from schemas.codec import decode, encode
from schemas.hits import CheckpointHit
from schemas.plate_pattern import normalise_pattern
from schemas.topics import Catalogue
from schemas.vocab import Action, Category, Priority
from schemas.watchlist import WatchlistEntry
from streams.hotpath.matcher import WatchlistIndex

#: how often each category is placed (terrorism is shared by no agreement: those matches are refused)
CATEGORY_WEIGHTS = {
    "stolen_vehicle": 30,
    "wanted_person_vehicle": 15,
    "fugitive": 15,
    "terrorism": 1,
    "other": 1,
}


def produce_watchlist(
    args: argparse.Namespace, world: World, plates: Plates, bootstrap: str, cat: Catalogue
) -> tuple[WatchlistIndex, list[Target]]:
    """Produces the entries to the watchlist topic; returns an index of them and a sample to plant."""
    rng, now = plates.rng, datetime.now(UTC)
    template = entry_template(now)
    approvals = {
        r: [
            {**template["approval"], "unit": f"{r} 公安局", "reference": f"{r}公(刑)布字[2025]{k}号"}
            for k in range(1, 21)
        ]
        for r in world.regions
    }
    owner_weights = [4.0 if r.endswith("0000") else 1.0 for r in world.regions]
    categories = [c.value for c in Category]
    category_weights = [CATEGORY_WEIGHTS.get(c, 5) for c in categories]
    actions = [a.value for a in Action]
    priorities = [p.value for p in Priority]
    descriptions = [None, "白色 大众朗逸", "黑色 丰田凯美瑞", "银色 本田雅阁", "蓝色 五菱宏光"]
    index, sample = WatchlistIndex(), []
    keep = min(1.0, 20_000 / max(args.entries, 1))
    expires_ts = (now + timedelta(days=365)).timestamp()
    errors: list[Any] = []
    producer = make_producer(bootstrap, args.input_compression, errors)
    for n in range(args.entries):
        plate, colour = plates.fresh()
        partial = rng.random() < args.partial_share
        if partial:
            try:
                pattern = normalise_pattern(plates.partial(plate))
            except ValueError:
                pattern, partial = plate, False
        else:
            pattern = plate
        wanted = None if partial or rng.random() < 0.2 else colour
        tolerance = 1 if rng.random() < args.tolerant_share else 0
        owner = rng.choices(world.regions, owner_weights)[0]
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
            plate_colour=wanted,
            tolerance=tolerance,
            description=rng.choice(descriptions),
        )
        value = orjson.dumps(doc)
        if args.matching_key is not None and not partial:  # placed blind (bench.hotpath.protect)
            entry = make_blind(decode(value, WatchlistEntry), args.matching_key, world.zone, now)
            value = encode(entry)
            world.blind_entries += 1
        produce(producer, cat.watchlist, value, entry_id.encode())
        producer.poll(0)
        index.upsert(entry_id, pattern, wanted, tolerance, expires_ts, n)
        world.partial_entries += partial
        if rng.random() < keep:
            sample.append(Target(pattern, wanted, tolerance, plate, colour))
        if n < 200:  # the template substitutions stay valid
            assert decode(orjson.dumps(doc), WatchlistEntry).plate == pattern
    flush(producer, errors, "the watchlist")
    world.entries = args.entries
    return index, sample


def produce_hits(args: argparse.Namespace, maker: HitMaker, bootstrap: str, cat: Catalogue) -> None:
    """Pre-produces the throughput phase's hits, pass times an hour ago at ``--event-rate`` per second."""
    world, rng = maker.world, maker.rng
    start = time.time() - 3600
    recent: deque[tuple[str, bytes, bytes, str, str, str, str, float]] = deque(maxlen=5000)
    errors: list[Any] = []
    producer = make_producer(bootstrap, args.input_compression, errors)
    topics = {r: cat.in_hits(r) for r in world.regions}
    macs = HitMacs(args.mac_keys) if args.mac_keys else None
    for i in range(args.hits):
        t = start + i / args.event_rate
        roll = rng.random()
        if roll < args.dup_rate and recent:
            topic, key, value, region, checkpoint, plate, colour, t0 = rng.choice(recent)
            if rng.random() < 0.5:  # a connector re-sent the same event (same event id)
                dup = value
            else:  # a second camera on the lane: same plate and checkpoint, own event id, within 2 s
                when = datetime.fromtimestamp(t0 + rng.uniform(0, 2), UTC)
                dup = maker.value(random_uuid(rng), region, checkpoint, plate, colour, when)
            produce(producer, topic, dup, key, macs.headers(region, topic, key, dup) if macs else None)
            world.duplicates += 1
        else:
            region, checkpoint = rng.choice(world.checkpoints)
            if roll < args.dup_rate + args.match_rate:
                plate, colour, found = maker.planted()
                world.planted += 1
                world.planted_matches += found
            else:
                plate, colour = maker.fresh()
            key = plate.encode()
            when = datetime.fromtimestamp(t, UTC)
            value = maker.value(random_uuid(rng), region, checkpoint, plate, colour, when)
            headers = macs.headers(region, topics[region], key, value) if macs else None
            produce(producer, topics[region], value, key, headers)
            recent.append((topics[region], key, value, region, checkpoint, plate, colour, t))
            if i < 200:
                assert decode(value, CheckpointHit).plate == plate
        if i % 1000 == 0:
            producer.poll(0)
    flush(producer, errors, "the hits")
    world.hits = args.hits


def latency_plan(args: argparse.Namespace, maker: HitMaker, cat: Catalogue, path: Path) -> int:
    """Writes the paced producer's hits (event id and pass time are set at send); returns the number of
    matching ones after the warm-up."""
    rng, plan, matching = maker.rng, [], 0
    warmup = int(args.latency_rate * args.latency_warmup)
    for i in range(warmup + int(args.latency_rate * args.latency_seconds)):
        region, checkpoint = rng.choice(maker.world.checkpoints)
        if rng.random() < args.latency_match_rate:
            plate, colour, _ = maker.planted()
            matching += i >= warmup
        else:
            plate, colour = maker.fresh()
        plan.append((cat.in_hits(region), region, checkpoint, plate, colour))
    path.write_bytes(orjson.dumps(plan))
    return matching


def generate(run: Run, rng: random.Random, plan: Path) -> int:
    """Pre-produces the watchlist and the hits; writes the latency plan; returns its matching hits."""
    args, world = run.args, run.world
    ccpd = [p for p in CCPD.read_text(encoding="utf-8").split() if valid_plate(p)]
    rng.shuffle(ccpd)
    half = len(ccpd) // 2
    t0 = time.monotonic()
    entry_plates = Plates(rng, ccpd[:half], args.entries)
    index, targets = produce_watchlist(args, world, entry_plates, run.bootstrap, run.cat)
    t1 = time.monotonic()
    hit_plates = Plates(rng, ccpd[half:], args.hits)
    maker = HitMaker(world, hit_plates, index, targets)
    produce_hits(args, maker, run.bootstrap, run.cat)
    t2 = time.monotonic()
    matching = latency_plan(args, maker, run.cat, plan)
    world.stats = {
        # the partial index alone (until 2026-12-05 it counted the plate and class-key lookups too)
        "partial_probes_per_hit_by_length": {n: index.partial_probes(n) for n in (7, 8)},
        "watchlist_produce_s": round(t1 - t0, 1),
        "hits_produce_s": round(t2 - t1, 1),
        "ccpd_plates_used": entry_plates.ccpd_used + hit_plates.ccpd_used,
        "generated_plates_rejected_by_normaliser": entry_plates.invalid + hit_plates.invalid,
    }
    del index, maker, targets
    gc.collect()
    return matching
