"""Follows the compacted zone topic from its beginning, forever, and keeps the newest zone in force.

Lifecycle: ``run()`` (a task) reads from offset 0 on every start, so a restarted worker always sees
the zone; ``loaded`` is set once the topic has been read to the end offset seen at start and a zone
was found; ``zone`` is then always the newest valid record of the zone served. Records of other
zones and of contract versions this build does not know are skipped (a newer record replaces them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.codec import DecodeError, decode
from schemas.zone import ZoneObject

__all__ = ["ZoneFollower", "first_zone"]

log = logging.getLogger(__name__)


class ZoneFollower:
    """The zone in force, read from ``topic``; ``name`` None serves the first zone found."""

    def __init__(
        self,
        options: dict[str, Any],
        topic: str,
        name: str | None,
        on_change: Callable[[ZoneObject], None] | None = None,
    ) -> None:
        self._options = options
        self._topic = topic
        self._name = name
        self._on_change = on_change
        self.zone: ZoneObject | None = None
        self.loaded = asyncio.Event()

    def _accept(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:
            return
        try:
            obj = decode(value, ZoneObject)
        except DecodeError as exc:
            log.warning("zone record skipped: %s", exc)
            return
        if self._name is None:
            self._name = obj.zone.name
        if obj.zone.name != self._name or (key is not None and key != obj.key.encode()):
            return
        if self.zone is None or obj.revision >= self.zone.revision:
            self.zone = obj
            log.info("zone %s revision %d in force", obj.zone.name, obj.revision)
            if self._on_change is not None:
                self._on_change(obj)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Read the zone topic until ``stop`` is set (or forever)."""
        consumer = AIOKafkaConsumer(
            **self._options, enable_auto_commit=False, isolation_level="read_committed"
        )
        await consumer.start()
        try:
            tp = TopicPartition(self._topic, 0)
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            end = (await consumer.end_offsets([tp]))[tp]
            while stop is None or not stop.is_set():
                batch = await consumer.getmany(tp, timeout_ms=500)
                for record in batch.get(tp, []):
                    self._accept(record.key, record.value)
                if self.zone is not None and await consumer.position(tp) >= end:
                    self.loaded.set()
        finally:
            await consumer.stop()


async def first_zone(options: dict[str, Any], topic: str, name: str | None, poll: float = 5.0) -> ZoneObject:
    """The zone in force now, waiting (and saying so) until one has been published."""
    follower = ZoneFollower(options, topic, name)
    stop = asyncio.Event()
    task = asyncio.ensure_future(follower.run(stop))
    loaded = asyncio.ensure_future(follower.loaded.wait())
    try:
        while True:
            done, _ = await asyncio.wait({task, loaded}, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
            if follower.loaded.is_set():
                assert follower.zone is not None
                return follower.zone
            if task in done:
                task.result()  # raises what stopped the reader
            log.warning("waiting for a zone on %s (apply one with `rax zone apply`)", topic)
    finally:
        stop.set()
        loaded.cancel()
        await asyncio.wait({task})
