"""What flows through the runtime: a consumed record (shaped like confluent_kafka.Message), one to produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Headers", "InRecord", "Outgoing", "Record"]

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


@dataclass(frozen=True, slots=True)
class Record:
    """A record held outside Kafka's client (a parked record, an original behind an envelope, a test's)."""

    _topic: str
    _value: bytes | None
    _offset: int = 0
    _partition: int = 0
    _key: bytes | None = None
    _headers: list[tuple[str, bytes | None]] = field(default_factory=list)
    _timestamp_ms: int = 0

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def headers(self) -> list[tuple[str, bytes | None]]:
        return self._headers

    def timestamp(self) -> tuple[int, int]:
        return (1, self._timestamp_ms)
