"""What flows through the runtime: a consumed record (shaped like confluent_kafka.Message), one to produce."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Headers", "InRecord", "Outgoing"]

Headers = list[tuple[str, bytes | str | None]]


class InRecord(Protocol):
    """The parts of a consumed record a processor reads (``confluent_kafka.Message`` has them all)."""

    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def headers(self) -> Any: ...
    def timestamp(self) -> tuple[int, int]: ...


@dataclass(slots=True)
class Outgoing:
    """One record to produce in the current transaction (``value`` None is a tombstone)."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers | None = None
    partition: int | None = None  # None: the partitioner (murmur2 of the key) decides
