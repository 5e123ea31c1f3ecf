"""Bytes of each input topic → the evaluator's facts; a record that cannot be one raises ``BadRecord``."""

from __future__ import annotations

from typing import TypeVar

from schemas.acks import Acknowledgement
from schemas.audit import AuditRecord, Decision
from schemas.codec import DecodeError, decode_fast
from schemas.dlq import DlqReason, DlqStage
from schemas.hits import CheckpointHit
from schemas.matching import Match
from streams.evaluate.facts import Answer, Disclosure, MatchFact, Read
from streams.evaluate.fast import AuditFields, ack_fields, audit_fields, hit_fields

__all__ = ["BadRecord", "answer_of", "audit_of", "disclosure", "disclosure_of", "match_of", "read_of"]


class BadRecord(ValueError):
    """A record the evaluator refuses: it goes to ``rax.dlq.evaluate`` with ``reason`` and ``stage``."""

    def __init__(self, message: str, reason: DlqReason, stage: DlqStage = DlqStage.DECODE) -> None:
        super().__init__(message)
        self.reason = reason
        self.stage = stage


M = TypeVar("M", AuditRecord, Acknowledgement, Match, CheckpointHit)


def _decode(value: bytes | None, model: type[M]) -> M:
    try:
        return decode_fast(value, model)
    except DecodeError as exc:
        raise BadRecord(str(exc), exc.reason) from None


def _region_of(decoded: str, topic_region: str | None) -> str:
    if topic_region is not None and decoded != topic_region:
        raise BadRecord(
            f"region {decoded} inside a record of region {topic_region}'s topic",
            DlqReason.REGION_MISMATCH,
            DlqStage.VALIDATE,
        )
    return decoded


def audit_of(value: bytes | None) -> AuditFields:
    """The fields of an audit record the evaluator reads (read fast, else validated whole)."""
    fields = audit_fields(value)
    if fields is not None:
        return fields
    rec = _decode(value, AuditRecord)
    obj = {
        "delivery_id": rec.delivery_id,
        "kind": str(rec.kind),
        "recipient": rec.recipient,
        "owner": rec.owner,
        "subject_id": rec.subject_id,
        "decision": rec.decision.value,
        "act": None if rec.act is None else rec.act.value,
        "hit_region": rec.hit_region,
        "plates": rec.plates,
    }
    return AuditFields(obj, rec.at.timestamp(), rec.source_time.timestamp())


def disclosure(f: AuditFields) -> Disclosure | None:
    """The delivery an audit record says was made; ``None`` for a refusal (nothing was delivered) and for
    an act record (what a region did: its acks are counted from the acks topics themselves)."""
    if f.decision != Decision.DISCLOSED or f.act is not None:
        return None
    sighting = None
    if f.hit_region is not None:
        sighting = (f.subject_id, f.hit_region, f.source_time)
    return Disclosure(f.delivery_id, f.kind, f.recipient, f.owner, f.subject_id, f.at, sighting)


def disclosure_of(value: bytes | None) -> Disclosure | None:
    """``disclosure`` of an audit record's bytes."""
    return disclosure(audit_of(value))


def answer_of(value: bytes | None, topic_region: str | None, received: float) -> Answer:
    """An acknowledgement read from ``topic_region``'s acks topic at ``received`` (the record's time)."""
    fields = ack_fields(value)
    if fields is None:
        ack = _decode(value, Acknowledgement)
        fields = (ack.ack_id, ack.delivery_id, ack.region, ack.outcome.value)
    ack_id, did, region, outcome = fields
    return Answer(ack_id, did, _region_of(region, topic_region), outcome, received)


def match_of(value: bytes | None) -> MatchFact:
    """A match of ``rax.matches``."""
    m = _decode(value, Match)
    hit = m.hit
    return MatchFact(
        match_id=m.match_id,
        hit_event_id=hit.event_id,
        entry_id=m.entry_id,
        checkpoint_id=hit.checkpoint_id,
        kind=m.kind.value,
        action=m.action.value,
        priority=m.priority.value,
        sighting=(m.entry_id, hit.region, hit.pass_time.timestamp()),
    )


def read_of(value: bytes | None, topic_region: str | None, exchanged: float) -> Read:
    """A checkpoint read of ``topic_region``'s hits topic, on the exchange at ``exchanged``."""
    fields = hit_fields(value)
    if fields is None:
        hit = _decode(value, CheckpointHit)
        fields = (hit.checkpoint_id, hit.region, hit.pass_time.timestamp())
    checkpoint, region, passed = fields
    return Read(_region_of(region, topic_region), checkpoint, passed, exchanged)
