"""The Quix peer's pure parts (bench/peers/quix) match what the hot path's matcher and dedup decide."""

from __future__ import annotations

import random

import pytest

from bench.peers.quix.dedup import is_new_pass
from bench.peers.quix.index import Entry, PeerIndex
from schemas.plates.lookalikes import LOOKALIKE_CLASSES, PROVINCE_CLASS
from streams.hotpath.dedup import DedupWindow
from streams.hotpath.matcher import WatchlistIndex

PATTERNS = [
    ("a", "川A12345", "blue", 0),
    ("b", "川A88888", None, 1),
    ("c", "川A1?345", None, 0),
    ("d", "川A?2?45", None, 0),
    ("e", "*12345", None, 0),
    ("f", "川A1*345", None, 0),
    ("g", "川A1?3*", None, 0),
    ("h", "渝B0D8Q1", "yellow", 2),
]
READS = [
    ("川A12345", "blue"),
    ("川A12345", "yellow"),
    ("川AB8888", "blue"),
    ("川ABB888", "blue"),
    ("渝A88888", "green"),
    ("川A19345", "blue"),
    ("川B12345", "blue"),
    ("川A1034", "blue"),
    ("渝B0D8Q1", "yellow"),
    ("渝BDD8Q1", "yellow"),
    ("渝BDDBQ1", "yellow"),
    ("渝BDDBO1", "yellow"),
    ("渝B0D8Q1", "blue"),
    ("京N99999", "blue"),
]


class _State(dict[str, object]):
    def set(self, key: str, value: object) -> None:
        self[key] = value


def _indexes() -> tuple[PeerIndex, WatchlistIndex]:
    peer, hot = PeerIndex((*LOOKALIKE_CLASSES, PROVINCE_CLASS)), WatchlistIndex()
    for n, (eid, pattern, colour, tolerance) in enumerate(PATTERNS):
        peer.add(Entry(eid, "510000", "stolen_vehicle", "intercept", "high", pattern, colour, tolerance))
        hot.upsert(eid, pattern, colour, tolerance, ref=n)
    return peer, hot


@pytest.mark.parametrize(("plate", "colour"), READS)
def test_the_peer_finds_the_entries_and_kinds_the_hot_path_finds(plate: str, colour: str) -> None:
    peer, hot = _indexes()
    mine = sorted((f.entry.entry_id, f.kind) for f in peer.match(plate, colour))
    theirs = sorted((m.entry_id, m.kind) for m in hot.match(plate, colour, now=0.0))
    assert mine == theirs


def test_the_peer_dedups_like_the_hot_path_window() -> None:
    rng = random.Random(7)
    state, window = _State(), DedupWindow(10.0)
    t = 1000.0
    for i in range(2000):
        t += rng.uniform(0, 4)
        checkpoint = rng.choice(("k1", "k2"))
        event = f"e{i}" if rng.random() > 0.1 else f"e{max(i - 1, 0)}"
        expected = not window.seen(event, "川A12345", "blue", checkpoint, t)
        assert is_new_pass(state, checkpoint, "blue", event, t, 10.0) == expected, i


def test_the_peer_finds_what_the_hot_path_finds_on_generated_entries() -> None:
    """Exact, tolerant and partial entries as bench_hotpath generates them; reads of their plates,
    look-alike misreads of them and unrelated plates (partials without tolerance: the peer ignores it)."""
    from bench.hotpath.world import Plates

    rng = random.Random(11)
    plates = Plates(rng, [], 3000)
    peer, hot = PeerIndex((*LOOKALIKE_CLASSES, PROVINCE_CLASS)), WatchlistIndex()
    reads: list[tuple[str, str]] = []
    for n in range(3000):
        plate, colour = plates.fresh()
        partial = rng.random() < 0.3
        pattern = plates.partial(plate) if partial else plate
        tolerance = 0 if partial or rng.random() < 0.7 else 1
        wanted = None if partial or rng.random() < 0.3 else colour
        peer.add(Entry(f"e{n}", "510000", "fugitive", "intercept", "high", pattern, wanted, tolerance))
        hot.upsert(f"e{n}", pattern, wanted, tolerance, ref=n)
        reads += [(plate, colour), (plates.misread(plate) or plate, colour), plates.fresh()]
    found = 0
    for plate, colour in reads:
        mine = sorted((f.entry.entry_id, f.kind) for f in peer.match(plate, colour))
        assert mine == sorted((m.entry_id, m.kind) for m in hot.match(plate, colour, now=0.0)), plate
        found += bool(mine)
    assert found > 3000
