"""How long the group protocol alone leaves partitions unowned when a member joins or leaves (no processing).

Two bare group consumers in threads, built by the runtime's client factory as ``StreamLoop`` builds its
member (static membership, cooperative-sticky, the same session timeout), over one topic; a variant
changes one setting. For each event the clock starts at the event (the second consumer subscribes; one
closes) and stops when the partitions that move are assigned to their new owner: that is the part of a
pause no faster restore can remove.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import NewTopic

from schemas.kafka_settings import KafkaSettings
from streams.runtime import ClientFactory

__all__ = ["VARIANTS", "Member", "create_topic", "measure_variant"]

#: variant name -> (static member?, client settings over the runtime's group consumer, how a member leaves)
VARIANTS: dict[str, tuple[bool, dict[str, Any], str]] = {
    "runtime today (static, cooperative, heartbeat 3 s, close)": (True, {}, "close"),
    "static, unsubscribe before close": (True, {}, "unsubscribe"),
    "static, unsubscribe and close at once": (True, {}, "unsubscribe-close"),
    "static, heartbeat 1 s, unsubscribe before close": (True, {"heartbeat.interval.ms": 1000}, "unsubscribe"),
    "dynamic member, close": (False, {}, "close"),
    "dynamic member, heartbeat 1 s, close": (False, {"heartbeat.interval.ms": 1000}, "close"),
    "eager (range), static, unsubscribe": (True, {"partition.assignment.strategy": "range"}, "unsubscribe"),
}


@dataclass
class Member:
    """One bare group consumer polled by its own thread; records when partitions came and went."""

    consumer: Consumer
    assigned: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, partitions)
    revoked: list[tuple[float, int]] = field(default_factory=list)
    owned: set[int] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def subscribe(self, topic: str) -> None:
        def on_assign(_: Consumer, parts: list[TopicPartition]) -> None:
            self.assigned.append((time.monotonic(), len(parts)))
            self.owned |= {p.partition for p in parts}

        def on_revoke(_: Consumer, parts: list[TopicPartition]) -> None:
            self.revoked.append((time.monotonic(), len(parts)))
            self.owned -= {p.partition for p in parts}

        self.consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _poll(self) -> None:
        while not self.stop.is_set():
            self.consumer.consume(100, 0.05)  # the loop's turn: callbacks are served in consume

    def leave(self, how: str) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        if how == "unsubscribe-close":  # the revocation is not served first: close() skips the LeaveGroup
            self.consumer.unsubscribe()
        elif how == "unsubscribe":
            self.consumer.unsubscribe()  # librdkafka: a static member sends LeaveGroup on unsubscribe …
            deadline = time.monotonic() + 5
            while self.owned and time.monotonic() < deadline:
                self.consumer.consume(10, 0.05)
        self.consumer.close()  # … but not on close (KIP-345: it expects to come back)


def _member(factory: ClientFactory, group: str, name: str, static: bool, extra: dict[str, Any]) -> Member:
    consumer = factory.group_consumer(group, name if static else None, 10_000, dict(extra))
    return Member(consumer)


def _wait(cond: Any, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return time.monotonic()
        time.sleep(0.01)
    return None


def measure_variant(settings: KafkaSettings, topic: str, name: str, partitions: int) -> dict[str, Any]:
    """Join then leave with one variant; seconds from each event until the moved partitions have an owner."""
    static, extra, how = VARIANTS[name]
    factory = ClientFactory(settings, "bench-scaleout-mechanics")
    group = f"{topic}-{abs(hash(name)) % 10**8}"
    a, b = _member(factory, group, "a", static, extra), _member(factory, group, "b", static, extra)
    out: dict[str, Any] = {"static": static, "settings": extra, "leave_by": how}
    try:
        a.subscribe(topic)
        if _wait(lambda: len(a.owned) == partitions, 30) is None:
            return {**out, "error": "the first member got no assignment in 30 s"}
        time.sleep(1.0)
        t0 = time.monotonic()
        b.subscribe(topic)
        settled = _wait(lambda: b.owned and len(a.owned) + len(b.owned) == partitions, 40)
        first_revoke = a.revoked[0][0] if a.revoked else None
        out["join"] = {
            "seconds_to_settle": round(settled - t0, 2) if settled else None,
            "revoked_from_old_after_s": round(first_revoke - t0, 2) if first_revoke else None,
            "unowned_s": round(settled - first_revoke, 2) if settled and first_revoke else None,
            "moved": len(b.owned),
        }
        time.sleep(2.0)
        t1 = time.monotonic()
        moving = len(b.owned)
        threading.Thread(target=b.leave, args=(how,), daemon=True).start()
        back = _wait(lambda: len(a.owned) == partitions, 40)
        out["leave"] = {"seconds_until_reassigned": round(back - t1, 2) if back else None, "moved": moving}
    finally:
        a.leave("close")
        if not b.stop.is_set():
            b.leave("close")
    return out


def create_topic(settings: KafkaSettings, topic: str, partitions: int) -> None:
    """The probe's topic (no records are needed: only the assignment moves)."""
    admin = ClientFactory(settings, "bench-scaleout-mechanics").admin()
    for fut in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        fut.result()
