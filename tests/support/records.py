"""A consumed record for tests of pure processors (shaped like confluent_kafka.Message, no broker)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Rec"]


@dataclass
class Rec:
    """What the runtime hands a processor: topic, partition, offset, key, value, headers, timestamp."""

    _topic: str
    _value: bytes | None
    _offset: int = 0
    _partition: int = 0
    _key: bytes | None = None
    _headers: list[tuple[str, bytes]] = field(default_factory=list)
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

    def headers(self) -> list[tuple[str, bytes]]:
        return self._headers

    def timestamp(self) -> tuple[int, int]:
        return (1, self._timestamp_ms)
