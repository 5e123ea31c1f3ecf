"""The group's committed offset of every input partition, sampled every 100 ms, and the gaps between moves."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field

from confluent_kafka import KafkaException, TopicPartition

from schemas.kafka_settings import KafkaSettings
from streams.runtime import ClientFactory

__all__ = ["CommitSampler", "PartitionGap"]


@dataclass(frozen=True)
class PartitionGap:
    """The longest time a partition's committed offset stood still within a window, and when it began."""

    partition: str
    seconds: float
    stalled_at: float  # wall time of the last move before the gap
    moves: int  # moves seen within the window
    resumed: bool  # False: it had not moved again by the window's end (the pause is at least ``seconds``)


@dataclass
class CommitSampler:
    """Samples ``committed()`` of ``partitions`` for ``group`` in a thread until ``stop``.

    The hot path commits each batch's input offsets in its transaction, so under a steady paced load a
    partition's committed offset moves with every batch (every ~0.1-0.3 s); a pause is a long gap
    between two moves. The sampler never joins the group (``committed`` is an OffsetFetch) and reads
    ``read_uncommitted``, so it does not wait for the worker's open transaction.
    """

    bootstrap: str
    group: str
    partitions: list[TopicPartition]
    interval: float = 0.1
    moves: dict[str, list[float]] = field(default_factory=dict)  # partition -> wall times it moved
    fetch_ms: list[float] = field(default_factory=list)
    _last: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        factory = ClientFactory(KafkaSettings(bootstrap_servers=self.bootstrap), "bench-scaleout-offsets")
        consumer = factory.consumer(self.group, isolation="read_uncommitted")

        def loop() -> None:
            try:
                while not self._stop.is_set():
                    t0 = time.monotonic()
                    try:
                        parts = consumer.committed(self.partitions, timeout=5)
                    except KafkaException:
                        parts = []
                    seen = time.time()
                    self.fetch_ms.append((time.monotonic() - t0) * 1000)
                    for tp in parts:
                        name = f"{tp.topic}[{tp.partition}]"
                        if tp.offset >= 0 and tp.offset != self._last.get(name):
                            if name in self._last:
                                self.moves.setdefault(name, []).append(seen)
                            self._last[name] = tp.offset
                    self._stop.wait(max(0.0, self.interval - (time.monotonic() - t0)))
            finally:
                consumer.close()

        self._thread = threading.Thread(target=loop, name="commit-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def offsets(self) -> dict[str, int]:
        """The last committed offset seen per partition."""
        return dict(self._last)

    def gaps(self, start: float, end: float) -> list[PartitionGap]:
        """Per partition, the longest stand-still between ``start`` and ``end`` (wall times), counting the
        time from the last move before ``start`` and up to ``end`` if it has not moved again by then."""
        out = []
        for tp in self.partitions:
            name = f"{tp.topic}[{tp.partition}]"
            times = self.moves.get(name, [])
            before = [t for t in times if t < start]
            inside = [t for t in times if start <= t <= end]
            points = ([before[-1]] if before else [start]) + inside + [end]
            widest, at, resumed = 0.0, points[0], True
            for i, (a, b) in enumerate(itertools.pairwise(points)):
                if b - a > widest:
                    widest, at, resumed = b - a, a, i < len(points) - 2
            out.append(PartitionGap(name, round(widest, 3), at, len(inside), resumed))
        return out
