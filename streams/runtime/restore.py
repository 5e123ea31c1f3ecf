"""Restores stores from their changelog topics, and makes sure those topics exist (compacted, replicated)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import NewTopic

from streams.runtime.clients import ClientFactory
from streams.runtime.stores import Scope, Stores, changelog_partition

__all__ = ["ensure_changelogs", "restore_scopes"]

log = logging.getLogger(__name__)


def ensure_changelogs(
    factory: ClientFactory, stores: Stores, replication: int | None, timeout: float
) -> None:
    """Create each store's compacted changelog topic if it does not exist (replication: min(3, brokers))."""
    admin = factory.admin()
    md = admin.list_topics(timeout=timeout)
    rf = replication or min(3, max(1, len(md.brokers)))
    missing = [t for t in stores.topic_of.values() if t not in md.topics]
    if not missing:
        return
    configs = {"cleanup.policy": "compact", "min.insync.replicas": str(min(2, rf)), "segment.ms": "3600000"}
    new = [NewTopic(t, stores.partitions, rf, config=configs) for t in missing]
    for topic, fut in admin.create_topics(new, operation_timeout=timeout, request_timeout=timeout).items():
        try:
            fut.result()
            log.info("created changelog %s (%d partitions, replication %d)", topic, stores.partitions, rf)
        except KafkaException as exc:
            if exc.args[0].code() != 36:  # TOPIC_ALREADY_EXISTS: another worker was first
                raise


def restore_scopes(
    factory: ClientFactory,
    stores: Stores,
    scopes: set[Scope],
    timeout: float,
    group_id: str | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Read every changelog partition that holds one of ``scopes`` to its end; returns records applied.

    Raises ``TimeoutError`` if the changelogs cannot be read to their end in ``timeout`` seconds (a broker
    outage): the caller retries, and no record of those scopes is processed meanwhile.
    """
    if not scopes:
        return 0
    wanted: dict[tuple[str, int], tuple[str, set[Scope]]] = {}
    for scope in scopes:
        for spec in stores.specs_for(scope[0]):
            tp = (stores.topic_of[spec.name], changelog_partition(scope, stores.partitions))
            wanted.setdefault(tp, (spec.name, set()))[1].add(scope)
    if not wanted:
        return 0
    for scope in scopes:
        stores.drop(scope)
    reader = factory.reader(group_id=group_id)
    deadline = time.monotonic() + timeout
    applied = 0
    try:
        ends: dict[tuple[str, int], int] = {}
        for topic, part in wanted:
            left = max(0.1, min(5.0, deadline - time.monotonic()))
            lo, hi = reader.get_watermark_offsets(TopicPartition(topic, part), timeout=left)
            if hi > lo:
                ends[(topic, part)] = hi
        if not ends:
            return 0
        reader.assign([TopicPartition(t, p, 0) for t, p in ends])
        pending = set(ends)
        while pending:
            if time.monotonic() > deadline or stopping():
                raise TimeoutError(f"changelogs {sorted(pending)} not read to their end in {timeout:.0f} s")
            for msg in reader.consume(10_000, 0.2):
                if msg.error() is not None:
                    continue
                tp = (msg.topic() or "", msg.partition() or 0)
                name, for_scopes = wanted[tp]
                key = msg.key()
                if key is not None:
                    stores.apply_changelog(name, for_scopes, key, msg.value())
                    applied += 1
            # transaction markers are never delivered: ask where the reader stands instead
            for pos in reader.position([TopicPartition(t, p) for t, p in pending]):
                if pos.offset >= ends[(pos.topic, pos.partition)]:
                    pending.discard((pos.topic, pos.partition))
        stores.clean()
        return applied
    finally:
        reader.close()
