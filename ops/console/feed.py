"""Reads the region's delivery topic from its start, read-committed, as the region; hands each record on.

Runs in a thread of its own (confluent-kafka blocks); the server gives it two callbacks and stops it.
Plain assignment, no offsets committed: every start rebuilds the page's history from what the topic
still holds (its retention bounds it), and the history drops a delivery id seen before.

Reachability: librdkafka reports a lost broker once (then suppresses the identical errors of each
reconnect attempt), so one quiet second after the report is no sign the broker is back. Once it is
reported down the feed stays "unreachable" until records arrive again or a metadata request answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, KafkaError, KafkaException, TopicPartition

from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

__all__ = ["DeliveryFeed", "FeedStatus"]

log = logging.getLogger(__name__)

#: librdkafka's errors that say the broker cannot be reached
_DOWN_CODES = {KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT}
_DOWN_TEXTS = ("brokers are down", "Connection refused", "Disconnected")

FeedStatus = dict[str, Any]  # {"state": "live" | "catching_up" | "unreachable", "behind": n, "since": t}


class DeliveryFeed(threading.Thread):
    """Lifecycle: ``start()``; records go to ``on_record``, status changes to ``on_status``; ``stop()``."""

    def __init__(
        self,
        settings: KafkaSettings,
        cat: Catalogue,
        region: str,
        on_record: Callable[[bytes], None],
        on_status: Callable[[FeedStatus], None],
        poll_s: float = 0.05,
    ) -> None:
        super().__init__(name=f"console-feed-{region}", daemon=True)
        self.topic = cat.out(region)
        self._on_record, self._on_status, self._poll_s = on_record, on_status, poll_s
        self._stop = threading.Event()
        self._errors: list[tuple[int, str]] = []
        self._down = False
        self._consumer = ClientFactory(settings, f"console@{region}").reader(
            {"error_cb": self._error, "fetch.wait.max.ms": 50, "reconnect.backoff.max.ms": 1000},
            group_id=f"{cat.region_group_prefix(region)}console",
        )
        self.status: FeedStatus = {"state": "catching_up", "behind": 0, "since": time.time()}

    def _error(self, err: KafkaError) -> None:
        self._errors.append((err.code(), str(err)))

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        try:
            self._assign()
            eof: set[int] = set()
            next_check = 0.0
            while not self._stop.is_set():
                msgs, got = self._consumer.consume(500, self._poll_s), False
                for msg in msgs:
                    err = msg.error()
                    if err is not None:
                        if err.code() == KafkaError._PARTITION_EOF:
                            eof.add(msg.partition() or 0)
                        else:
                            self._errors.append((err.code(), str(err)))
                        continue
                    self._on_record(msg.value() or b"")
                    got = True
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + 1.0
                    self._report(eof, got)
        except Exception:  # the page says so; the server keeps serving what it has
            log.exception("the delivery feed of %s stopped", self.topic)
            self._set({"state": "unreachable", "behind": None, "since": time.time()})
        finally:
            self._consumer.close()

    def _assign(self) -> None:
        while not self._stop.is_set():
            try:
                meta = self._consumer.list_topics(self.topic, timeout=5).topics.get(self.topic)
            except KafkaException:
                meta = None
            if meta is not None and meta.error is None and meta.partitions:
                self.partitions = sorted(meta.partitions)
                tps = [TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in self.partitions]
                self._consumer.assign(tps)
                return
            self._set({"state": "unreachable", "behind": None, "since": time.time()})
            self._stop.wait(1.0)

    def _reachable(self, got: bool) -> bool:
        """False while the broker is down: from the client's errors, until records or metadata come."""
        errors, self._errors = self._errors, []
        if got:
            self._down = False
        elif any(c in _DOWN_CODES or any(t in e for t in _DOWN_TEXTS) for c, e in errors):
            self._down = True
        if self._down:
            try:
                self._consumer.list_topics(self.topic, timeout=1.0)
                self._down = False
            except KafkaException:
                pass
        return not self._down

    def _report(self, eof: set[int], got: bool) -> None:
        if not self._reachable(got):
            self._set({"state": "unreachable", "behind": None, "since": time.time()})
            return
        behind = 0
        for tp in self._consumer.position([TopicPartition(self.topic, p) for p in self.partitions]):
            _, high = self._consumer.get_watermark_offsets(tp, cached=True) or (0, 0)
            if tp.offset >= 0 and high >= 0:
                behind += max(0, high - tp.offset)
        state = "catching_up" if len(eof) < len(self.partitions) else ("behind" if behind > 500 else "live")
        self._set({"state": state, "behind": behind, "since": time.time()})

    def _set(self, status: FeedStatus) -> None:
        changed = (status["state"], status["behind"]) != (self.status["state"], self.status["behind"])
        if changed:
            self.status = status
            self._on_status(status)
