"""Restores stores from their changelog topics, and makes sure those topics exist (compacted, replicated)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourceType,
)

from streams.runtime.clients import ClientFactory
from streams.runtime.stores import Scope, Stores, changelog_partition

__all__ = ["CHANGELOG_CONFIGS", "RESTORE_LIMIT_S", "ensure_changelogs", "restore_scopes"]

log = logging.getLogger(__name__)

#: every changelog's topic configuration. Compacted; and kept near the live state, so that a restore reads
#: what is live rather than the history since the last roll: the log cleaner only compacts closed
#: segments (a segment is closed after a minute here, against 1 h before, so a restore read up to an hour
#: of writes), cleans a partition once half of it is superseded (the broker's default ratio: a restore
#: reads at most about twice the live state, plus the last minute), and drops a tombstone 10 minutes after
#: it (the broker's default keeps it a day, and the hot path deletes a dedup chunk every few seconds).
CHANGELOG_CONFIGS: Final = {
    "cleanup.policy": "compact",
    "segment.ms": str(60_000),
    "delete.retention.ms": str(600_000),
}


def ensure_changelogs(
    factory: ClientFactory, stores: Stores, replication: int | None, timeout: float
) -> None:
    """Create each store's changelog topic if it does not exist (replication: min(3, brokers)) with
    ``CHANGELOG_CONFIGS`` and the store's own (``StoreSpec.changelog_configs``), and set those on an
    existing one that differs (made by an earlier version)."""
    admin = factory.admin()
    md = admin.list_topics(timeout=timeout)
    rf = replication or min(3, max(1, len(md.brokers)))
    wanted = {
        stores.topic_of[s.name]: {**CHANGELOG_CONFIGS, **s.changelog_configs} for s in stores.specs.values()
    }
    topics = sorted(wanted)
    missing = [t for t in topics if t not in md.topics]
    if missing:
        isr = {"min.insync.replicas": str(min(2, rf))}
        new = [NewTopic(t, stores.partitions, rf, config={**wanted[t], **isr}) for t in missing]
        for topic, fut in admin.create_topics(
            new, operation_timeout=timeout, request_timeout=timeout
        ).items():
            try:
                fut.result()
                log.info("created changelog %s (%d partitions, replication %d)", topic, stores.partitions, rf)
            except KafkaException as exc:
                if exc.args[0].code() != 36:  # TOPIC_ALREADY_EXISTS: another worker was first
                    raise
    _align_configs(admin, {t: c for t, c in wanted.items() if t not in missing}, timeout)


def _align_configs(admin: AdminClient, wanted: dict[str, dict[str, str]], timeout: float) -> None:
    """Set the ``wanted`` configurations on existing changelogs that differ; a refusal is logged, not
    fatal (the changelog still works: its restores only read more)."""
    if not wanted:
        return
    described = admin.describe_configs(
        [ConfigResource(ResourceType.TOPIC, t) for t in sorted(wanted)], request_timeout=timeout
    )
    for resource, fut in described.items():
        try:
            current = fut.result()
            configs = wanted[resource.name]
            stale = {k: v for k, v in configs.items() if k not in current or current[k].value != v}
            if not stale:
                continue
            entries = [
                ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in stale.items()
            ]
            change = ConfigResource(ResourceType.TOPIC, resource.name, incremental_configs=entries)
            for f in admin.incremental_alter_configs([change], request_timeout=timeout).values():
                f.result()
            log.info("changelog %s: set %s", resource.name, stale)
        except KafkaException as exc:
            log.warning(
                "changelog %s keeps its configuration (%s): its restores may read more than the live state",
                resource.name,
                exc,
            )


#: the longest one restore may take, however steadily it reads: below the 10 minutes a changelog keeps a
#: tombstone (``CHANGELOG_CONFIGS``), Kafka's bound for a reader from offset 0 to see every tombstone, so a
#: restore never reads a deleted key's value and then misses the tombstone after it
RESTORE_LIMIT_S: Final = 540.0


def restore_scopes(
    factory: ClientFactory,
    stores: Stores,
    scopes: set[Scope],
    timeout: float,
    group_id: str | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Read every changelog partition that holds one of ``scopes`` to its end; returns records applied.

    Raises ``TimeoutError`` when nothing more is read for ``timeout`` seconds (a broker outage), or when
    the restore takes longer than ``RESTORE_LIMIT_S``: the caller retries from the start, and no record of
    those scopes is processed meanwhile. A large state reading steadily takes as long as it needs (until
    2026-12-07 the whole restore had ``timeout``, 30 s by default: a state that needed longer never
    restored, and every retry started over).
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
    started = time.monotonic()
    deadline = started + timeout
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
            now = time.monotonic()
            if now > deadline or stopping():
                raise TimeoutError(f"changelogs {sorted(pending)}: nothing read for {timeout:g} s")
            if now - started > RESTORE_LIMIT_S:
                raise TimeoutError(
                    f"changelogs {sorted(pending)} not read to their end in {RESTORE_LIMIT_S:.0f} s "
                    f"({applied:,} records): longer than a changelog keeps its tombstones"
                )
            msgs = reader.consume(10_000, 0.2)
            if msgs:
                deadline = time.monotonic() + timeout
            for msg in msgs:
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
