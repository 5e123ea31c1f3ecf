"""The Quix Streams application: hits → cheap watchlist lookup → dedup in State → deliveries, exactly-once.

Per hit, in order: Quix's JSON deserialiser (orjson) → ``filter``: ``PeerIndex.match`` on the plate and
colour (every hit; nearly all stop here) → ``filter(stateful=True)``: ``is_new_pass`` in the plate's
``State`` (matching hits only; its changes go to the store's changelog topic) → ``apply(expand=True)``:
one delivery per (entry, recipient) → ``to_topic``: the recipient's out topic, keyed by delivery id.
One ``StreamingDataFrame`` per hits topic (Quix subscribes to a list of topics, not to a pattern), all
in one consumer; offsets, outputs and changelogs commit in one transaction every ``commit_interval``.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import quixstreams
from quixstreams import Application

from bench.peers.quix.config import PeerConfig
from bench.peers.quix.dedup import is_new_pass
from bench.peers.quix.deliveries import deliveries
from bench.peers.quix.index import PeerIndex
from bench.peers.quix.watchlist import load_watchlist


class Tally:
    """What the peer did, printed as one JSON line when it stops (the benchmark reads it)."""

    def __init__(self) -> None:
        self.hits = self.matching = self.duplicates = self.deliveries = 0


def build(app: Application, cfg: PeerConfig, index: PeerIndex, tally: Tally) -> None:
    """Declares the topics and one dataframe per hits topic on ``app``."""
    out = {r: app.topic(t, key_serializer="str", value_serializer="json") for r, t in cfg.out_topics.items()}
    window, recipients, match = cfg.dedup_window_s, cfg.recipients, index.match

    def matches(hit: dict[str, Any]) -> bool:
        tally.hits += 1
        if match(hit["plate"], hit.get("plate_colour")):
            tally.matching += 1
            return True
        return False

    def new_pass(hit: dict[str, Any], state: Any) -> bool:
        t = datetime.fromisoformat(hit["pass_time"]).timestamp()
        new = is_new_pass(state, hit["checkpoint_id"], hit.get("plate_colour"), hit["event_id"], t, window)
        tally.duplicates += not new
        return new

    def fan_out(hit: dict[str, Any]) -> list[dict[str, Any]]:
        records = deliveries(hit, match(hit["plate"], hit.get("plate_colour")), recipients)
        tally.deliveries += len(records)
        return records

    def topic_of(value: dict[str, Any], *_: Any) -> Any:
        return out[value["recipient"]]

    for name in cfg.hits_topics:
        sdf = app.dataframe(app.topic(name, key_deserializer="str", value_deserializer="json"))
        sdf = sdf.filter(matches)
        sdf = sdf.filter(new_pass, stateful=True)
        sdf = sdf.apply(fan_out, expand=True)
        sdf.to_topic(topic_of, key=lambda value: value["delivery_id"])


def main() -> None:
    p = argparse.ArgumentParser(description="The hot path's pipeline on Quix Streams (bench_hotpath's peer).")
    p.add_argument("--config", type=Path, required=True, help="the JSON the benchmark wrote (PeerConfig)")
    cfg = PeerConfig.read(p.parse_args().config)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = Application(
        broker_address=cfg.bootstrap,
        consumer_group=cfg.consumer_group,
        processing_guarantee="exactly-once",
        commit_interval=cfg.commit_interval,
        auto_offset_reset="earliest",
        state_dir=cfg.state_dir,
        loglevel="WARNING",
        # the worker's producer batching; the id is the group's, so a restarted peer fences its predecessor
        producer_extra_config={
            "transactional.id": cfg.transactional_id,
            "linger.ms": 5,
            "compression.type": "lz4",
        },
    )
    index, tally = PeerIndex(cfg.lookalike_classes), Tally()
    with app.get_consumer(auto_commit_enable=False) as consumer:
        load_watchlist(consumer, cfg.watchlist_topic, index)
    # as the hot-path worker does: a million entries' lists are never garbage; keep the collector off them
    gc.collect()
    gc.freeze()
    print(
        orjson.dumps(
            {
                "ready": index.entries,
                "quixstreams": quixstreams.__version__,
                "block_probes_by_length": {str(n): index.block_probes(n) for n in (7, 8)},
            }
        ).decode(),
        flush=True,
    )
    build(app, cfg, index, tally)
    app.run()
    print(orjson.dumps({"peer": tally.__dict__}).decode(), flush=True)
    sys.stdout.flush()
