"""An inbox record opened: what it is (kind, region) and the original record it stands for.

A dead letter of an inbox record must name where the record really came from (``rax.in.<r>.*``, its
partition and offset), keep its original key and headers, and none of the inbox's own: ``Original`` is
that record, shaped like any consumed record (``streams.runtime.InRecord``), so the runtime's one
dead-letter builder takes it as it is. A parked alert is stored and rebuilt as an ``Original`` too.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from schemas.inbox import (
    HEADER_PREFIX,
    KIND,
    RECEIVED,
    REGION,
    SOURCE_KEY,
    SOURCE_OFFSET,
    SOURCE_PARTITION,
    SOURCE_TIME,
    SOURCE_TOPIC,
)
from streams.control.state import ParkedState
from streams.runtime import InRecord, Record

__all__ = ["Envelope", "Original", "b64", "direct", "parked", "unb64", "unparked"]


def b64(raw: bytes | None) -> str | None:
    """Bytes as text for a JSON store."""
    return None if raw is None else base64.b64encode(raw).decode()


def unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


#: A record as it was on its source topic (the runtime's plain ``Record``).
Original = Record


@dataclass(frozen=True, slots=True)
class Envelope:
    """The inbox's headers of one record, and the original record.

    ``received``: when the app took the original in (epoch seconds, the app's clock); None when the
    record was decided where it was read (the decision's clock is the receiving clock then).
    """

    kind: str
    region: str
    original: Original
    received: float | None = None

    @classmethod
    def open(cls, rec: InRecord) -> Envelope:
        """Read the ``rax.ctl.*`` headers of an inbox record (absent ones: the inbox record itself)."""
        ours: dict[str, bytes] = {}
        own: list[tuple[str, bytes | None]] = []
        for name, value in _headers(rec.headers()):
            if name.startswith(HEADER_PREFIX):
                ours.setdefault(name, value or b"")
            else:
                own.append((name, value))
        text = {k: v.decode("utf-8", "replace") for k, v in ours.items() if k != SOURCE_KEY}
        _, ts = rec.timestamp()
        original = Original(
            text.get(SOURCE_TOPIC) or rec.topic() or "",
            rec.value(),
            _int(text.get(SOURCE_OFFSET), rec.offset()),
            _int(text.get(SOURCE_PARTITION), rec.partition()),
            ours[SOURCE_KEY] if SOURCE_KEY in ours else rec.key(),
            own,
            _int(text.get(SOURCE_TIME), ts),
        )
        at = text.get(RECEIVED, "")
        received = int(at) / 1000 if at.isdigit() else None
        return cls(text.get(KIND, ""), text.get(REGION, ""), original, received)


def direct(rec: InRecord, kind: str, region: str) -> Envelope:
    """The envelope of a region's record decided where it was read (no inbox hop): its own headers kept,
    any ``rax.ctl.*`` header the region set dropped — only the app writes its envelope."""
    own = [(k, v) for k, v in _headers(rec.headers()) if not k.startswith(HEADER_PREFIX)]
    _, ts = rec.timestamp()
    original = Original(
        rec.topic() or "", rec.value(), rec.offset() or 0, rec.partition() or 0, rec.key(), own, ts
    )
    return Envelope(kind, region, original)


def parked(original: Original, region: str, waits: str | None, until: float, error: str) -> ParkedState:
    """What the ``parked`` store keeps of an alert waiting for a reference (bytes as base64)."""
    return ParkedState(
        waits=waits,
        until=until,
        error=error,
        region=region,
        value=b64(original.value()) or "",
        topic=original.topic(),
        partition=original.partition(),
        offset=original.offset(),
        key=b64(original.key()),
        headers=[[k, b64(v)] for k, v in original.headers()],
        timestamp_ms=original.timestamp()[1],
    )


def unparked(p: ParkedState) -> Original:
    """The original record of a parked alert."""
    headers = [(str(k), unb64(v)) for k, v in p["headers"]]
    return Original(
        p["topic"],
        unb64(p["value"]),
        p["offset"],
        p["partition"],
        unb64(p["key"]),
        headers,
        p["timestamp_ms"],
    )


def _headers(raw: Any) -> list[tuple[str, bytes | None]]:
    return [(str(k), bytes(v) if v is not None else None) for k, v in raw or ()]


def _int(text: str | None, default: int | None) -> int:
    if text is not None and text.lstrip("-").isdigit():
        return int(text)
    return default or 0
