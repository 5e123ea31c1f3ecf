"""A loop that yields to another processor: paused while that processor's group is far behind.

Why: on a machine whose cores a secondary processor shares with the hot path (the escalate worker beside
it on two vCPUs), a busy second worker slows the hot path's deliveries through a surge whatever its
CPU priority: each vCPU slows the other when both are busy, and the broker and the connectors compete
too (docs/decisions.md, 2026-12-08). With ``RuntimeSettings.defer_to`` the loop pauses its partitions
while that group's lag (end offsets minus its committed offsets, over the partitions it has committed)
exceeds ``defer_lag`` records, and resumes when it falls back under it, or after ``defer_max_s`` of one
deferral whatever the lag (a crashed hot path must not stop escalation for good). Every record is still
processed; only later. The loop keeps turning while paused: timers, rebalances, its group membership.

Lifecycle: one ``Deferral`` per loop with ``defer_to`` set; ``due`` asked every turn (it asks the brokers
at most every ``check_s``), from the loop thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

__all__ = ["Deferral", "group_lag", "lag_of"]

log = logging.getLogger(__name__)


def lag_of(committed: Mapping[tuple[str, int], int], ends: Mapping[tuple[str, int], int]) -> int:
    """Records between each partition's committed offset and its end, over the committed partitions (a
    partition the group never committed is not counted: it may not read it at all)."""
    return sum(max(0, ends[tp] - offset) for tp, offset in committed.items() if offset >= 0 and tp in ends)


class Deferral:
    """Whether the loop should stay paused, from another group's lag (see module)."""

    def __init__(
        self,
        lag: Callable[[], int | None],
        group: str,
        max_lag: int,
        max_s: float,
        check_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``lag``: the group's lag now (``group_lag``), asked at most every ``check_s``."""
        self._ask, self.group, self.max_lag, self.max_s = lag, group, max_lag, max_s
        self.check_s, self._clock = check_s, clock
        self._checked = -float("inf")
        self._since: float | None = None  # when the current deferral began
        self._gave_up = False  # a deferral ran its longest and the group has not caught up since
        self._paused = False
        self._known = True  # the last lag asked was answered (a failure is logged once, not each second)
        self.lag = 0

    def hold(self, consumer: Consumer) -> bool:
        """Pause ``consumer``'s assigned partitions while ``due``, resume them after; whether paused.
        Asked every turn: a rebalance hands partitions out unpaused."""
        if self.due():
            consumer.pause(consumer.assignment())
            self._paused = True
        elif self._paused:
            consumer.resume(consumer.assignment())
            self._paused = False
        return self._paused

    def due(self) -> bool:
        """True while the loop should not consume (asks the brokers at most every ``check_s``)."""
        now = self._clock()
        if now - self._checked >= self.check_s:
            self._checked = now
            lag = self._ask()
            if lag is None and self._known:
                log.warning("the lag of %s cannot be asked: not deferring until it can", self.group)
            self._known = lag is not None
            self.lag = lag or 0
            self._decide(now)
        elif self._since is not None and now - self._since >= self.max_s:
            self._decide(now)
        return self._since is not None

    def _decide(self, now: float) -> None:
        behind = self.lag > self.max_lag
        if not behind:
            self._gave_up = False
        if self._since is None and behind and not self._gave_up:
            self._since = now
            log.info("deferring to %s: %d records behind (> %d)", self.group, self.lag, self.max_lag)
        elif self._since is not None and (not behind or now - self._since >= self.max_s):
            why = "it caught up" if not behind else f"{self.max_s:.0f} s is the most"
            log.info("resuming after %.1f s of deferring to %s (%s)", now - self._since, self.group, why)
            self._since = None
            self._gave_up = behind  # no new deferral until it has caught up once


def group_lag(admin: AdminClient, group: str, timeout_s: float) -> int | None:
    """``group``'s lag now (``lag_of`` its committed offsets and their partitions' ends); None if it cannot
    be asked. A partition whose end cannot be read (its topic deleted since the group committed) is left
    out, not the whole answer."""
    try:
        request = [ConsumerGroupTopicPartitions(group)]
        got = admin.list_consumer_group_offsets(request, request_timeout=timeout_s)
        parts = got[group].result(timeout_s).topic_partitions or []
        committed = {(tp.topic, tp.partition): tp.offset for tp in parts if tp.error is None}
        if not committed:
            return 0
        wanted = {TopicPartition(t, p): OffsetSpec.latest() for t, p in committed}
        futures = admin.list_offsets(wanted, request_timeout=timeout_s)
    except (KafkaException, TimeoutError) as exc:
        log.debug("the lag of %s is unknown: %s", group, exc)
        return None
    ends: dict[tuple[str, int], int] = {}
    for tp, future in futures.items():
        try:
            ends[(tp.topic, tp.partition)] = future.result(timeout_s).offset
        except (KafkaException, TimeoutError):
            continue
    return lag_of(committed, ends)
