"""What a source hands to the runtime: records, batches with their resume position, record kinds."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from schemas.dlq import DlqReason

__all__ = ["Batch", "Done", "Original", "Position", "RecordKind", "SourceRecord"]

#: A source's resume position: JSON-able data only the source understands (a file offset map, a sequence).
Position = dict[str, Any]

#: Called once per record from the runtime's thread: None when Kafka acknowledged it, else the reason
#: it was rejected (its dead letter is acknowledged by then).
Done = Callable[[str | None], None]


class RecordKind(StrEnum):
    """What a connector publishes; decides the wire model, the topic and the key."""

    HITS = "hits"  # CheckpointHit on rax.in.<region>.hits, key: normalised plate
    WATCHLIST = "watchlist"  # PlaceCommand / WithdrawCommand on rax.in.<region>.watchlist, key: entry id
    ALERTS = "alerts"  # Alert on rax.in.<region>.alerts, key: identifier
    REQUESTS = "requests"  # CooperationRequest / RequestAnswer on rax.in.<region>.requests, key: request id


@dataclass(frozen=True, slots=True)
class Original:
    """The size and SHA-256 (hex) of a record the source kept only the first bytes of (too large to hold).

    ``sha256`` is None when the source stopped reading before the end (then ``size`` is how much it read).
    """

    size: int
    sha256: str | None


@dataclass(slots=True)
class SourceRecord:
    """One record read from the source, before validation.

    ``value`` holds the wire model's fields (a mapping, or JSON bytes) and is validated by the runtime;
    ``raw`` is the record exactly as the source had it and is what a dead letter carries. A source that
    could not even read the record (bad CSV quoting, broken XML) sets ``error`` (and ``reason``): the
    runtime sends it to the DLQ without validating. ``origin`` says where it came from (``file:offset``,
    a peer address) for the dead letter's headers. ``original`` is set when ``raw`` is only the first
    bytes of a record too large to hold (an oversized upload): the dead letter then gives its size and
    digest.
    """

    value: Mapping[str, Any] | bytes | None
    raw: bytes
    origin: str = ""
    error: str | None = None
    reason: DlqReason = DlqReason.BAD_SOURCE_RECORD
    on_done: Done | None = None
    original: Original | None = None


@dataclass(slots=True)
class Batch:
    """What one ``Source.poll`` returns: records, and the source position once all of them are stored.

    ``encoded`` is for sources that build the wire bytes themselves for speed (the simulator): (key,
    value) pairs the runtime produces as they are, decoding only a sample to catch a generator bug.
    ``dropped`` counts source records deliberately not published (unread plates such as 无牌: not a
    hit, and not an error either). ``position`` None means "unchanged". ``end`` says the source is
    exhausted (a one-shot load): the runtime drains, stores the position and returns.
    """

    records: Sequence[SourceRecord] = ()
    position: Position | None = None
    encoded: Sequence[tuple[bytes, bytes]] = ()
    end: bool = False
    dropped: int = 0

    def __len__(self) -> int:
        return len(self.records) + len(self.encoded)
