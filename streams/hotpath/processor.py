"""The hot path as a runtime processor: hits in, deliveries out, dedup state in a changelogged store.

Lifecycle: built by ``rax run hotpath`` and run by ``streams.runtime.StreamLoop``. ``start`` loads the
watchlist and zone (global tables) to their end; each batch goes through ``HitPipeline``; the sightings
dedup saw are appended to the partition's ``dedup`` store as chunks (one per batch and partition, at
most ``_CHUNK`` sightings each) and chunks that fell behind the dedup retention are deleted, so the
changelog holds just the window and a new owner of the partition rebuilds it from there.
"""

from __future__ import annotations

import gc
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from confluent_kafka import Message
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from schemas.blind import MatchingKey, load_matching_keys
from schemas.topics import Catalogue, TopicKind
from schemas.zone import Zone
from streams.hotpath.config import HotpathSettings
from streams.hotpath.metrics import HotpathMetrics, hotpath_metrics
from streams.hotpath.pipeline import BatchResult, HitPipeline, Sighting
from streams.hotpath.seen import SeenPlates
from streams.hotpath.watchlist_state import WatchlistState
from streams.runtime import (
    ClientFactory,
    Context,
    DeadLetterBuilder,
    GlobalTables,
    InRecord,
    StoreSpec,
    raw_codec,
)
from streams.runtime.at_rest import rest_protection
from streams.runtime.macs import MacStoreError, read_private_file
from streams.runtime.stores import Scope, Stores
from streams.runtime.tables import newer_zone

__all__ = ["HotpathProcessor"]

log = logging.getLogger(__name__)

_CHUNK = 2000
_STORE = "dedup"
#: Every batch writes a new chunk per partition and deletes it once it is behind the window's retention
#: (seconds), so the dedup changelog's live state is a window of chunks and the rest is tombstones: kept
#: the runtime's 10 minutes, a restore read ~290,000 of them at 5,000 hits/s (~3 s of a join's pause).
#: A minute is enough: a restore that misses a tombstone the cleaner dropped meanwhile restores a chunk
#: of sightings behind the retention, which the window's rebuild evicts as the newer ones arrive.
_DEDUP_CHANGELOG = {"delete.retention.ms": str(60_000)}


class HotpathProcessor:
    """Dedup, match and fan out checkpoint hits (see ``HitPipeline``)."""

    name = "hotpath"

    def __init__(
        self, settings: HotpathSettings, factory: ClientFactory, registry: CollectorRegistry | None = None
    ) -> None:
        self.settings = settings
        self.cat = cat = Catalogue(settings.runtime.namespace)
        self.metrics: HotpathMetrics = hotpath_metrics(registry or CollectorRegistry())
        self.watchlist = WatchlistState()
        self.zone: Zone | None = None
        self.zone_revision = 0
        self.pipeline = HitPipeline(
            cat,
            self.watchlist,
            lambda: self.zone,
            settings.dedup_window_s,
            settings.max_match_fanout,
            DeadLetterBuilder(cat.dlq(self.name), self.name, settings.runtime.dlq_value_bytes),
            SeenPlates(settings.known_window_s, settings.known_capacity) if settings.known_window_s else None,
            _matching_keys(settings),
            blind_to_matches=settings.runtime.rest_key is not None,  # rax.matches sealed at rest
        )
        tables_group = f"{cat.processor_prefix}{self.name}-tables"  # never joined: plain assignment
        rest = rest_protection(settings.runtime.rest_key, cat)  # rax.watchlist may be sealed at rest
        self.tables = GlobalTables(factory, [cat.watchlist, cat.zone], self._apply, tables_group, rest)
        self._chunks: dict[Scope, deque[tuple[str, float]]] = {}
        self._next_chunk: dict[Scope, int] = {}
        self._gauges_at = 0.0

    # ---- global tables -------------------------------------------------------------------------
    def _apply(self, msg: Message) -> None:
        if msg.topic() == self.cat.zone:
            obj = newer_zone(msg.value(), None if self.zone is None else self.zone_revision)
            if obj is not None:
                self.zone, self.zone_revision = obj.zone, obj.revision
        else:
            self.watchlist.apply(msg.key(), msg.value())

    def start(self) -> None:
        self.tables.load()
        self.watchlist.mark_caught_up()
        log.info("loaded %d watchlist entries and zone revision %d", len(self.watchlist), self.zone_revision)
        gc.collect()
        gc.freeze()  # a million watchlist objects: keep them out of every future full collection's walk

    def between_batches(self) -> None:
        self.tables.poll()
        if self.tables.caught_up_at:
            self.watchlist.last_caught_up = self.tables.caught_up_at
        self._update_gauges()

    # ---- partitions and their dedup state ------------------------------------------------------
    def topics(self) -> list[str]:
        return [self.cat.in_pattern(TopicKind.HITS)]

    def store_specs(self) -> list[StoreSpec]:
        return [StoreSpec(_STORE, self._is_hits, raw_codec(), _DEDUP_CHANGELOG)]

    def _is_hits(self, topic: str) -> bool:
        parsed = self.cat.parse_region_topic(topic)
        return parsed is not None and parsed[1] == TopicKind.HITS

    def assigned(self, scope: Scope, stores: Stores) -> None:
        store = stores.get(_STORE, scope)
        chunks: deque[tuple[str, float]] = deque()
        sightings: list[Sighting] = []
        for key in sorted(store):
            rows = orjson.loads(store[key])
            sightings += [tuple(r) for r in rows]
            chunks.append((key, max((r[4] for r in rows), default=0.0)))
        self._chunks[scope] = chunks
        self._next_chunk[scope] = int(chunks[-1][0]) + 1 if chunks else 0
        store.forget_committed()  # rebuilt into the window: the changelog alone keeps the sightings
        count = self.pipeline.rebuild(scope[0], scope[1], sightings)
        if count:
            log.info("dedup of %s[%d] rebuilt from %d sightings", scope[0], scope[1], count)

    def revoked(self, scope: Scope) -> None:
        self.pipeline.forget(*scope)
        self._chunks.pop(scope, None)
        self._next_chunk.pop(scope, None)

    # ---- batches -------------------------------------------------------------------------------
    def process(self, batch: Sequence[InRecord], ctx: Context) -> None:
        t0 = time.monotonic()
        result = self.pipeline.process(batch)
        ctx.out.extend(result.out)
        for reason, count in result.dlq.items():
            ctx.dlq_counts[reason] += count
        for scope, sightings in result.sightings.items():
            self._journal(scope, sightings, ctx)
        seconds = time.monotonic() - t0
        ctx.after_commit(lambda: self._record(result, len(batch), seconds))  # counted once, when committed

    def _journal(self, scope: Scope, sightings: list[Sighting], ctx: Context) -> None:
        """Append this batch's sightings to the partition's store; delete chunks past the retention."""
        store = ctx.store(_STORE, scope)
        store.forget_committed()  # the sightings live in the dedup window and the changelog, not twice
        chunks = self._chunks.setdefault(scope, deque())
        for i in range(0, len(sightings), _CHUNK):
            rows = sightings[i : i + _CHUNK]
            seq = self._next_chunk.get(scope, 0)
            self._next_chunk[scope] = seq + 1
            key = f"{seq:012d}"
            store[key] = orjson.dumps(rows)
            chunks.append((key, max(r[4] for r in rows)))
        window = self.pipeline.dedup(*scope)
        cutoff = window.watermark - window.retention_s
        while chunks and chunks[0][1] < cutoff:
            store.delete(chunks.popleft()[0])

    def tick(self, ctx: Context) -> None:
        return None

    def not_ready(self) -> list[str]:
        return [] if self.zone is not None else ["no zone loaded (apply one: rax zone apply)"]

    def views(self) -> dict[str, Callable[[], Any]]:
        return {}

    def close(self) -> None:
        self.tables.close()

    # ---- metrics -------------------------------------------------------------------------------
    def _record(self, r: BatchResult, n: int, seconds: float) -> None:
        m = self.metrics
        for region, k in r.hits.items():
            m.hits.labels(region).inc(k)
        for region, k in r.duplicates.items():
            m.duplicates.labels(region).inc(k)
        for region, k in r.withheld.items():
            m.withheld.labels(region).inc(k)
        for kind, k in r.matches.items():
            m.matches.labels(kind).inc(k)
        for region, k in r.deliveries.items():
            m.deliveries.labels(region).inc(k)
        for region, k in r.sealed.items():
            m.sealed.labels(region).inc(k)
        for reason, k in r.refusals.items():
            m.refusals.labels(reason).inc(k)
        for reason, k in r.dlq.items():
            m.dlq.labels(reason).inc(k)
        m.batch_size.observe(n)
        m.batch_seconds.observe(seconds)
        done = time.time()
        for t in r.delivered_pass_times:
            m.latency.observe(max(0.0, done - t))

    def _update_gauges(self) -> None:
        now = time.monotonic()
        self.metrics.watchlist_entries.set(len(self.watchlist))
        self.metrics.watchlist_freshness.set(max(0.0, now - self.watchlist.last_caught_up))
        if now - self._gauges_at < 5.0:
            return
        self._gauges_at = now
        silent = self.pipeline.silent_checkpoints(time.time() - self.settings.silent_checkpoint_s)
        for region, count in silent.items():
            self.metrics.silent_checkpoints.labels(region).set(count)


def _matching_keys(settings: HotpathSettings) -> tuple[MatchingKey, ...]:
    """The zone's matching keys from the secret store (none: blind entries match nothing here)."""
    if settings.matching_keys is None:
        return ()
    try:
        return load_matching_keys(read_private_file(settings.matching_keys))
    except ValidationError as exc:
        raise MacStoreError(f"{settings.matching_keys} is not a list of matching keys: {exc}") from None
