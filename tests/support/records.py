"""A consumed record for tests of pure processors (the runtime's plain ``Record``, no broker)."""

from __future__ import annotations

from streams.runtime import Record

__all__ = ["Rec"]

#: What the runtime hands a processor: topic, value, offset, partition, key, headers, timestamp.
Rec = Record
