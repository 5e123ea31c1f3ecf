"""How far a loop's partitions are: committed offsets, lag and how long records have waited, as gauges.

Lifecycle: one per ``StreamLoop``; ``learn`` the group's committed offsets of newly restored partitions,
``committed`` after every transaction, ``update`` every turn (cheap: at most every 2 s), ``forget`` a
revoked partition. Lag is measured from committed offsets, not the consumer's position, so a loop that
stalls in a commit shows as lag; the oldest-unprocessed gauge is computed at scrape time, so it keeps
growing while the loop is stuck.
"""

from __future__ import annotations

import functools
import logging
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

from streams.runtime.metrics import RuntimeMetrics
from streams.runtime.stores import Scope

__all__ = ["Progress"]

log = logging.getLogger(__name__)


class Progress:
    """The committed offset and waiting time of each assigned partition of one processor."""

    def __init__(self, metrics: RuntimeMetrics, processor: str) -> None:
        self.metrics = metrics
        self.processor = processor
        self._committed: dict[Scope, int] = {}
        self._lagging_since: dict[Scope, float] = {}
        self._aged: set[Scope] = set()  # partitions with an oldest-unprocessed gauge
        self._updated_at = 0.0

    def learn(self, consumer: Consumer, scopes: set[Scope], timeout: float) -> None:
        """The group's committed offsets of newly assigned partitions, so their lag is known before this
        worker commits anything there. A partition without one starts at its low watermark, read from the
        fetch responses' cache in ``update``: asking the broker for it per partition queues behind the
        consumer's long-polled fetch (~0.5 s each: 12 s for 24 partitions, with nothing processed)."""
        todo = [TopicPartition(t, p) for t, p in scopes if (t, p) not in self._committed]
        try:
            for tp in consumer.committed(todo, timeout=timeout):
                if tp.offset >= 0:
                    self._committed[(tp.topic, tp.partition)] = tp.offset
        except KafkaException as exc:
            log.warning("committed offsets unknown (%s): lag is reported after the first commit", exc)

    def committed(self, offsets: dict[Scope, int]) -> None:
        self._committed.update(offsets)

    def forget(self, scope: Scope) -> None:
        self._committed.pop(scope, None)
        self._lagging_since.pop(scope, None)
        if scope in self._aged:
            self._aged.discard(scope)
            self.metrics.oldest.remove(self.processor, scope[0], str(scope[1]))

    def update(self, consumer: Consumer, assigned: set[Scope]) -> None:
        """Set the lag gauges (per topic) and start the waiting clocks (per partition)."""
        now = time.monotonic()
        if now - self._updated_at < 2.0:
            return
        self._updated_at = now
        lag: dict[str, int] = {}
        # at the end of a turn every record handed out is committed or rewound, so a position past the
        # committed offset skipped only transaction markers (a transactional input, such as the control
        # inbox, ends in one): without this its lag would never reach 0
        try:
            positions = consumer.position([TopicPartition(*s) for s in assigned])
        except KafkaException:
            positions = []
        position = {(tp.topic, tp.partition): tp.offset for tp in positions}
        for scope in assigned:
            try:
                low, high = consumer.get_watermark_offsets(TopicPartition(*scope), cached=True)
            except KafkaException:
                continue
            done = self._committed.get(scope)
            if done is None and low is not None and low >= 0:  # never committed: it starts at the low mark
                done = self._committed[scope] = low
            if high is None or high < 0 or done is None:
                continue
            behind = max(0, high - max(done, position.get(scope, -1)))
            lag[scope[0]] = lag.get(scope[0], 0) + behind
            if behind == 0:
                self._lagging_since.pop(scope, None)
            else:
                self._lagging_since.setdefault(scope, now)
            if scope not in self._aged:
                self._aged.add(scope)
                gauge = self.metrics.oldest.labels(self.processor, scope[0], str(scope[1]))
                gauge.set_function(functools.partial(self.waiting_for, scope))
        for topic, records in lag.items():
            self.metrics.lag.labels(self.processor, topic).set(records)

    def waiting_for(self, scope: Scope) -> float:
        """Seconds ``scope`` has had records waiting (read by the scrape thread: one atomic dict read)."""
        since = self._lagging_since.get(scope)
        return 0.0 if since is None else time.monotonic() - since
