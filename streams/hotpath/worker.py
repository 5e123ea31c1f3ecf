"""The hot-path worker: a consumer-group batch loop writing outputs and offsets in one transaction.

Lifecycle: ``HotpathWorker(settings, registry).run(stop)`` loads the watchlist and zone to their end,
subscribes to every region's hits topic, then loops until ``stop`` is set: follow the watchlist and
zone, consume a batch, process it (``HitPipeline``), and in one Kafka transaction produce every output
and commit the batch's offsets. An abortable error aborts, rewinds to the last commit and rebuilds
dedup state; a fatal or unknown-outcome error replaces the producer (fencing the old one) and rewinds.
On assignment, each new partition's dedup window is rebuilt from the input topic itself.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Sequence

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from prometheus_client import CollectorRegistry

from schemas.topics import Catalogue, TopicKind
from streams.hotpath.config import HotpathSettings
from streams.hotpath.metrics import HotpathMetrics, hotpath_metrics
from streams.hotpath.pipeline import BatchResult, HitPipeline
from streams.hotpath.rebuild import read_windows
from streams.hotpath.side_topics import SideTopics
from streams.hotpath.watchlist_state import WatchlistState

__all__ = ["HotpathWorker"]

log = logging.getLogger(__name__)


class HotpathWorker:
    """One member of the hot-path consumer group."""

    def __init__(self, settings: HotpathSettings, registry: CollectorRegistry | None = None) -> None:
        self.settings = settings
        self.cat = Catalogue(settings.namespace)
        self.metrics: HotpathMetrics = hotpath_metrics(registry or CollectorRegistry())
        self.watchlist = WatchlistState()
        self.side = SideTopics(settings.kafka, self.cat, self.watchlist)
        self.pipeline = HitPipeline(
            self.cat,
            self.watchlist,
            lambda: self.side.zone,
            settings.dedup_window_s,
            settings.max_match_fanout,
        )
        self.group_id = f"{self.cat.processor_prefix}hotpath"
        self.ready = threading.Event()
        self._consumer: Consumer | None = None
        self._producer: Producer | None = None
        self._to_rebuild: set[tuple[str, int]] = set()
        self._gauges_at = 0.0

    # ---- clients -------------------------------------------------------------------------------
    def _new_consumer(self) -> Consumer:
        return Consumer(
            {
                **self.settings.kafka.client_config(),
                "group.id": self.group_id,
                # static membership: a restarted worker takes its partitions back at once, no rebalance
                "group.instance.id": f"hotpath-{self.settings.worker_id}",
                "session.timeout.ms": self.settings.session_timeout_ms,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
                "partition.assignment.strategy": "cooperative-sticky",
                "topic.metadata.refresh.interval.ms": 5000,  # new regions' topics are picked up quickly
                "fetch.min.bytes": 1,
                # librdkafka's 50 MB default fetch, lz4-decompressed per partition, cost ~600 MB of RSS
                # behind a backlog (measured); 8 MB keeps the worker under its 1.5 GB budget
                "fetch.max.bytes": 8 * 1024 * 1024,
                "queued.max.messages.kbytes": 64 * 1024,
            }
        )

    def _new_producer(self) -> Producer:
        producer = Producer(
            {
                **self.settings.kafka.client_config(),
                "transactional.id": f"{self.cat.processor_prefix}hotpath-{self.settings.worker_id}",
                "enable.idempotence": True,
                "acks": "all",
                "partitioner": "murmur2_random",
                "transaction.timeout.ms": self.settings.transaction_timeout_ms,
                "linger.ms": 1,
                "compression.type": "lz4",
            }
        )
        producer.init_transactions(60)
        return producer

    # ---- rebalance -----------------------------------------------------------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self._to_rebuild.add((tp.topic, tp.partition))
        log.info("assigned %d partitions", len(partitions))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.pipeline.forget(tp.topic, tp.partition)
            self._to_rebuild.discard((tp.topic, tp.partition))

    def _rebuild_pending(self) -> None:
        """Replays the dedup window before the committed offset of each newly assigned partition."""
        if not self._to_rebuild or self._consumer is None:
            return
        pending = [TopicPartition(t, p) for t, p in sorted(self._to_rebuild)]
        self._to_rebuild.clear()
        committed = self._consumer.committed(pending, timeout=30)
        ends = {
            (tp.topic, tp.partition): tp.offset for tp in committed if tp.offset is not None and tp.offset > 0
        }
        if not ends:
            return  # nothing processed before: nothing to remember
        window = self.pipeline.dedup(pending[0].topic, pending[0].partition)
        window_ms = int((window.retention_s + self.settings.dedup_window_s) * 1000)
        t0 = time.monotonic()
        values = read_windows(self.settings.kafka, f"{self.group_id}-rebuild", ends, window_ms)
        count = sum(self.pipeline.rebuild(t, p, v) for (t, p), v in values.items())
        log.info(
            "rebuilt dedup of %d partitions from %d records in %.1f s",
            len(ends),
            count,
            time.monotonic() - t0,
        )

    # ---- the loop ------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        self.side.load()
        # a million watchlist objects: keep them out of every future full collection's walk
        gc.collect()
        gc.freeze()
        self._producer = self._new_producer()
        self._consumer = self._new_consumer()
        self._consumer.subscribe(
            [self.cat.in_pattern(TopicKind.HITS)],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_revoke,
        )
        self.ready.set()
        try:
            while not stop.is_set():
                self.side.poll()
                self._update_gauges()
                msgs = self._consumer.consume(self.settings.batch_size, self.settings.batch_timeout_s)
                self._rebuild_pending()
                batch = [m for m in msgs if not _skip(m)]
                if batch:
                    self._process(batch)
        finally:
            self._close()

    def _process(self, batch: list[Message]) -> None:
        t0 = time.monotonic()
        result = self.pipeline.process(batch)
        try:
            self._commit(batch, result)
        except KafkaException as exc:
            self._recover(batch, exc.args[0])
            return
        done = time.time()
        self._record(result, len(batch), time.monotonic() - t0, done)

    def _commit(self, batch: Sequence[Message], result: BatchResult) -> None:
        assert self._producer is not None and self._consumer is not None
        producer = self._producer
        producer.begin_transaction()
        for out in result.out:
            while True:
                try:
                    producer.produce(out.topic, out.value, out.key, headers=out.headers)
                    break
                except BufferError:
                    producer.poll(0.01)  # the local queue is full: let deliveries drain
        offsets: dict[tuple[str, int], int] = {}
        for m in batch:
            offsets[(m.topic() or "", m.partition() or 0)] = (m.offset() or 0) + 1
        producer.send_offsets_to_transaction(
            [TopicPartition(t, p, o) for (t, p), o in offsets.items()],
            self._consumer.consumer_group_metadata(),
            30,
        )
        producer.commit_transaction(60)

    def _recover(self, batch: Sequence[Message], err: KafkaError) -> None:
        """Aborts or replaces the producer, then rewinds the batch's partitions to their last commit."""
        assert self._consumer is not None
        log.warning("transaction failed (%s); replaying the batch", err)
        if err.txn_requires_abort():
            self.metrics.aborts.labels("abortable").inc()
            try:
                assert self._producer is not None
                self._producer.abort_transaction(30)
            except KafkaException:
                self._replace_producer()
        else:
            self.metrics.aborts.labels("fatal" if err.fatal() else "unknown").inc()
            self._replace_producer()
        parts = sorted({(m.topic() or "", m.partition() or 0) for m in batch})
        committed = self._consumer.committed([TopicPartition(t, p) for t, p in parts], timeout=30)
        for tp in committed:
            self._consumer.seek(TopicPartition(tp.topic, tp.partition, max(tp.offset, 0)))
            self._to_rebuild.add((tp.topic, tp.partition))  # its dedup state saw the aborted records

    def _replace_producer(self) -> None:
        try:
            if self._producer is not None:
                self._producer.flush(1)
        except KafkaException:
            pass
        self._producer = self._new_producer()  # init_transactions fences the old one

    # ---- metrics -------------------------------------------------------------------------------
    def _record(self, r: BatchResult, n: int, seconds: float, done: float) -> None:
        m = self.metrics
        for region, k in r.hits.items():
            m.hits.labels(region).inc(k)
        for region, k in r.duplicates.items():
            m.duplicates.labels(region).inc(k)
        for kind, k in r.matches.items():
            m.matches.labels(kind).inc(k)
        for region, k in r.deliveries.items():
            m.deliveries.labels(region).inc(k)
        for reason, k in r.refusals.items():
            m.refusals.labels(reason).inc(k)
        for reason, k in r.dlq.items():
            m.dlq.labels(reason).inc(k)
        m.batch_size.observe(n)
        m.batch_seconds.observe(seconds)
        for t in r.delivered_pass_times:
            m.latency.observe(max(0.0, done - t))

    def _update_gauges(self) -> None:
        now = time.monotonic()
        self.metrics.watchlist_entries.set(len(self.watchlist))
        self.metrics.watchlist_freshness.set(max(0.0, now - self.watchlist.last_caught_up))
        if now - self._gauges_at < 5.0 or self._consumer is None:
            return
        self._gauges_at = now
        lag: dict[str, int] = {}
        assigned = self._consumer.assignment()
        for tp in self._consumer.position(assigned) if assigned else []:
            _, high = self._consumer.get_watermark_offsets(tp, cached=True)
            parsed = self.cat.parse_region_topic(tp.topic)
            if parsed is not None and high >= 0 and tp.offset >= 0:
                lag[parsed[0]] = lag.get(parsed[0], 0) + max(0, high - tp.offset)
        for region, records in lag.items():
            self.metrics.lag.labels(region).set(records)
        silent = self.pipeline.silent_checkpoints(time.time() - self.settings.silent_checkpoint_s)
        for region, count in silent.items():
            self.metrics.silent_checkpoints.labels(region).set(count)

    def _close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
        if self._producer is not None:
            self._producer.flush(10)
        self.side.close()


def _skip(msg: Message) -> bool:
    err = msg.error()
    if err is None:
        return False
    if err.code() != KafkaError._PARTITION_EOF:
        log.warning("consume error: %s", err)
    return True
