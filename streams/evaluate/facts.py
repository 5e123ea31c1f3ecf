"""The evaluator's input events as plain values: what a scorecard is computed from, one type per source."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Answer", "Disclosure", "MatchFact", "Read", "RequestFact", "RequestReply", "SightingKey"]

#: what ties a disclosure to its match: (entry id, hit region, pass time); not the plate, which the audit
#: record of a sealed delivery or a blind entry leaves out (the delivery id then picks the match)
SightingKey = tuple[str, str, float]


@dataclass(frozen=True, slots=True)
class Disclosure:
    """A delivery made to a region (``rax.audit``, decision disclosed); times are epoch seconds."""

    delivery_id: str
    kind: str
    recipient: str
    owner: str
    subject_id: str
    at: float  # the decision: when the delivery was made
    sighting: SightingKey | None  # matches only


@dataclass(frozen=True, slots=True)
class Answer:
    """A command centre's acknowledgement or outcome (``rax.in.<r>.acks``), at the exchange's time."""

    ack_id: str
    delivery_id: str
    region: str
    outcome: str
    received: float  # the record's time on the acks topic, never the centre's own ``at``


@dataclass(frozen=True, slots=True)
class MatchFact:
    """A match (``rax.matches``): how it matched, where, and what its entry asks."""

    match_id: str
    hit_event_id: str
    entry_id: str
    checkpoint_id: str
    kind: str
    action: str
    priority: str
    sighting: SightingKey


@dataclass(frozen=True, slots=True)
class Read:
    """One checkpoint read (``rax.in.<r>.hits``): where, and how long it took to reach the exchange."""

    region: str
    checkpoint_id: str
    pass_time: float
    exchanged: float  # the record's time on the hits topic


@dataclass(frozen=True, slots=True)
class RequestFact:
    """A cooperation request as one recipient owes it (``rax.in.<requester>.requests``)."""

    request_id: str
    requester: str
    recipient: str
    sent: float  # the record's time on the requests topic
    respond_by: float


@dataclass(frozen=True, slots=True)
class RequestReply:
    """A recipient's answer to a request: accepted, answered or declined."""

    answer_id: str
    request_id: str
    region: str
    status: str
    received: float
