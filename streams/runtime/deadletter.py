"""The one dead-letter builder, used by processors and connectors alike: bounded, original context kept.

A dead letter keeps the rejected record's key and headers and as much of its value as a bound allows
(``max_value_bytes``, far below any producer limit); when the value is cut, its original size and
SHA-256 go in headers and the original stays at its source offset. Headers are bounded too (number and
bytes), and the ``rax.dlq.*`` headers of ``schemas.dlq`` always come last. ``stub`` is the dead letter of
last resort: no value, no original headers, only the reason — used when even the bounded letter could
not be produced, so no record is ever retried forever.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from schemas.dlq import (
    HEADER_PREFIX,
    ORIGINAL_SHA256,
    ORIGINAL_SIZE,
    TRUNCATED,
    DeadLetter,
    DlqReason,
    DlqStage,
    dlq_headers,
)
from streams.runtime.at_rest import OpenedRecord
from streams.runtime.records import Headers, InRecord, Outgoing

__all__ = ["DeadLetterBuilder"]

_MAX_KEY_BYTES = 1024
_MAX_HEADERS = 32
_MAX_HEADER_BYTES = 16 * 1024


class DeadLetterBuilder:
    """Turns a rejected record and its reason into the record to write on ``topic``."""

    def __init__(self, topic: str, component: str, max_value_bytes: int = 64 * 1024) -> None:
        self.topic = topic
        self.component = component
        self.max_value_bytes = max_value_bytes

    def _letter(self, record: InRecord | None, reason: DlqReason, stage: DlqStage, error: str) -> DeadLetter:
        return DeadLetter(
            reason=reason,
            stage=stage,
            component=self.component,
            error=error,
            source_topic=record.topic() if record is not None else None,
            source_partition=record.partition() if record is not None else None,
            source_offset=record.offset() if record is not None else None,
            time=datetime.now(UTC),
        )

    def build(
        self,
        record: InRecord | None,
        reason: DlqReason,
        stage: DlqStage,
        error: str,
        *,
        key: bytes | None = None,
        value: bytes | None = None,
        headers: Headers | None = None,
    ) -> Outgoing:
        """The dead letter of ``record`` (or of ``key``, ``value``, ``headers`` of a non-Kafka source)."""
        if record is not None:
            key, value, headers = *_as_on_topic(record), list(record.headers() or ())
        own = _bounded_headers(headers or ())
        if key is not None and len(key) > _MAX_KEY_BYTES:
            key = hashlib.sha256(key).hexdigest().encode()
        extra: Headers = []
        if value is not None and len(value) > self.max_value_bytes:
            extra = [
                (ORIGINAL_SIZE, str(len(value)).encode()),
                (ORIGINAL_SHA256, hashlib.sha256(value).hexdigest().encode()),
                (TRUNCATED, b"value"),
            ]
            value = value[: self.max_value_bytes]
        letter = self._letter(record, reason, stage, error)
        return Outgoing(self.topic, key, value, [*own, *dlq_headers(letter), *extra])

    def stub(self, record: InRecord | None, reason: DlqReason, stage: DlqStage, error: str) -> Outgoing:
        """The smallest dead letter: the reason and the source position, no value and no original headers."""
        value = _as_on_topic(record)[1] if record is not None else None
        extra: Headers = [(TRUNCATED, b"stub")]
        if value is not None:
            extra += [
                (ORIGINAL_SIZE, str(len(value)).encode()),
                (ORIGINAL_SHA256, hashlib.sha256(value).hexdigest().encode()),
            ]
        letter = self._letter(record, reason, stage, error)
        return Outgoing(self.topic, None, None, [*dlq_headers(letter), *extra])


def _as_on_topic(record: InRecord) -> tuple[bytes | None, bytes | None]:
    """The key and value of ``record`` as they are on its topic (a record opened from a topic sealed at
    rest is dead-lettered sealed, as it was read)."""
    return record.wire() if isinstance(record, OpenedRecord) else (record.key(), record.value())


def _bounded_headers(headers: Headers | list[tuple[str, bytes]] | tuple[()]) -> Headers:
    """The record's own headers, without ``rax.dlq.*`` ones (those are ours), within count and size bounds."""
    out: Headers = []
    used = 0
    for name, value in headers:
        if name.startswith(HEADER_PREFIX):
            continue
        size = len(name) + (len(value) if value is not None else 0)
        if len(out) >= _MAX_HEADERS or used + size > _MAX_HEADER_BYTES:
            break
        out.append((name, value))
        used += size
    return out
