"""Input records → the ledger: which topic a record came from decides how it is read; refusals raise.

``Ingest.add`` takes one record; ``Ingest.add_batch`` a batch (the faust app's ``take``), with the
refusals and the per-topic counts returned as data, so the app's glue does one thing per batch.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from schemas.crypto.at_rest import AtRestCipher, is_sealed_at_rest
from schemas.crypto.errors import OpenError
from schemas.dlq import DlqReason, DlqStage
from schemas.topics import Catalogue, TopicKind
from streams.evaluate.decode import BadRecord, answer_of, audit_of, disclosure, match_of, read_of
from streams.evaluate.ledger import Dirty, Ledger
from streams.evaluate.requests import act_reply, request_events

__all__ = ["INPUT_KINDS", "Batch", "Ingest", "Located", "RecordRef", "Refusal", "stream_of"]

log = logging.getLogger(__name__)

#: the per-region input topics the evaluator reads (by pattern), beside rax.audit and rax.matches
INPUT_KINDS = (TopicKind.ACKS, TopicKind.HITS, TopicKind.REQUESTS)


class Located(Protocol):
    """Where a record was read and its time (epoch seconds): a ``RecordRef``, or a framework's message
    that has these attributes (faust's does, so the app hands its messages over as they are)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> float: ...


@dataclass(frozen=True, slots=True)
class RecordRef:
    """Where a record was read and the exchange's time for it (the record's timestamp, epoch seconds)."""

    topic: str
    partition: int
    offset: int
    timestamp: float


@dataclass(frozen=True, slots=True)
class Refusal:
    """A record of a batch that is not counted: its index in the batch, and why (for its dead letter)."""

    index: int
    reason: DlqReason
    stage: DlqStage
    error: str


@dataclass
class Batch:
    """What a batch came to: the windows it touched, its refusals, records per (topic, outcome)."""

    dirty: Dirty = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)


class Ingest:
    """Adds records of the evaluator's input topics to one ledger (a value object around it)."""

    def __init__(self, catalogue: Catalogue, ledger: Ledger, rest: AtRestCipher | None = None) -> None:
        self.cat = catalogue
        self.ledger = ledger
        self.rest = rest  # the processors' at-rest key: rax.matches may be sealed on the broker
        #: topic → (its kind, its region): parsed once per topic, not per record
        self._sources: dict[str, tuple[TopicKind | None, str | None]] = {}

    def _source(self, topic: str) -> tuple[TopicKind | None, str | None]:
        if topic == self.cat.audit:
            return TopicKind.AUDIT, None
        if topic == self.cat.matches:
            return TopicKind.MATCHES, None
        parsed = self.cat.parse_region_topic(topic)
        if parsed is None or parsed[1] not in INPUT_KINDS:
            return None, None
        return parsed[1], parsed[0]

    def add(self, ref: Located, value: bytes | None) -> Dirty:
        """What the record touched (empty for a repeat or a refusal); raises ``BadRecord`` for bad input."""
        ledger, topic = self.ledger, ref.topic
        source = self._sources.get(topic)
        if source is None:
            source = self._sources[topic] = self._source(topic)
        kind, region = source
        if kind is TopicKind.HITS:  # half of the records
            return ledger.add_read(read_of(value, region, ref.timestamp), topic, ref.partition, ref.offset)
        if kind is TopicKind.AUDIT:
            fields = audit_of(value)
            d = disclosure(fields)
            if d is not None:
                return ledger.add_disclosure(d)
            reply = act_reply(fields)
            return [] if reply is None else ledger.add_reply(reply)
        if kind is TopicKind.ACKS:
            return ledger.add_answer(answer_of(value, region, ref.timestamp))
        if kind is TopicKind.MATCHES:
            if is_sealed_at_rest(value):
                value = self._opened(ref, value or b"")
            return ledger.add_match(match_of(value))
        if kind is None or region is None:
            raise BadRecord(f"not an input of the evaluator: {topic}", DlqReason.SCHEMA_VIOLATION)
        dirty: Dirty = []
        for fact in request_events(value, region, ref.timestamp):
            dirty += ledger.add_request(fact)
        return dirty

    def _opened(self, ref: Located, value: bytes) -> bytes:
        """The clear value of a match sealed at rest (faust's message carries the key it was filed under)."""
        if self.rest is None:
            raise BadRecord(
                f"{ref.topic} is sealed at rest: give the evaluator the processors' key file (--rest-key)",
                DlqReason.UNOPENABLE,
            )
        key = getattr(ref, "key", None)
        try:
            return self.rest.open(ref.topic, key if isinstance(key, bytes) else None, value)[1]
        except OpenError as exc:
            raise BadRecord(f"a match sealed at rest does not open: {exc}", DlqReason.UNOPENABLE) from None

    def add_batch(self, records: Sequence[tuple[Located, bytes | None]]) -> Batch:
        """``add`` for each record; a refusal or an unexpected error (a bug: logged) spares the rest."""
        out = Batch()
        dirty, counts, add = out.dirty, out.counts, self.add
        for i, (ref, value) in enumerate(records):
            try:
                dirty += add(ref, value)
                counts[(ref.topic, "ok")] += 1
            except BadRecord as exc:
                out.refused.append(Refusal(i, exc.reason, exc.stage, str(exc)))
                counts[(ref.topic, "rejected")] += 1
            except Exception as exc:  # a bug must neither stop the batch nor skip silently
                log.exception("evaluate: processing %s/%s@%s", ref.topic, ref.partition, ref.offset)
                out.refused.append(Refusal(i, DlqReason.PROCESSING_ERROR, DlqStage.PROCESS, repr(exc)))
                counts[(ref.topic, "rejected")] += 1
        return out


def stream_of(cat: Catalogue, topic: str) -> str:
    """The input stream a topic belongs to, a bounded metric label: audit, matches, acks, hits, requests."""
    if topic == cat.audit:
        return "audit"
    if topic == cat.matches:
        return "matches"
    parsed = cat.parse_region_topic(topic)
    return parsed[1].value if parsed is not None else "unknown"
