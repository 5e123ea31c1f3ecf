"""Stage 1: a region's hit or a match, decoded into a compact read for the inbox, keyed by plate.

Only what a declared rule needs is taken in: plain hits for the cloned-plate rule, matches for the
multi-region and border rules (before a zone is loaded, everything). A hit the hot path refuses
(undecodable, published under another region's name) is skipped here and counted: the hot path
dead-letters and audits it, and one record is not dead-lettered twice.

A region's close command (``rax.in.<r>.operations``) is forwarded to the inbox keyed by its operation
id, where the operation is kept (``closing``), with headers naming the original record, so that a
dead letter of it in stage 2 names where it came from. A command that does not decode, or names
another region than its topic's, is rejected here (it is the region's input: nobody else dead-letters
it).
"""

from __future__ import annotations

import orjson

from schemas.codec import DecodeError, decode
from schemas.dlq import DlqReason, DlqStage
from schemas.escalation import EscalationRules
from schemas.hits import CheckpointHit
from schemas.matching import Match
from schemas.operation import OperationClose
from schemas.topics import Catalogue
from streams.escalate.closing import KIND_HEADER
from streams.escalate.seen import Seen
from streams.runtime import Headers, InRecord, Outgoing, Record

__all__ = ["Rejected", "Skipped", "original", "take_close", "take_in"]

_TOPIC, _PARTITION, _OFFSET = "rax.esc.source.topic", "rax.esc.source.partition", "rax.esc.source.offset"


class Skipped(Exception):
    """An input not taken in; ``str(exc)`` is the reason (a bounded metric label)."""


class Rejected(Exception):
    """An input to dead-letter: why (``reason``, ``stage``) and the message for a person."""

    def __init__(self, reason: DlqReason, stage: DlqStage, error: str) -> None:
        super().__init__(error)
        self.reason, self.stage = reason, stage


def take_close(rec: InRecord, cat: Catalogue, region: str) -> tuple[OperationClose, Outgoing]:
    """A close command of ``rax.in.<region>.operations`` and its inbox record; raises ``Rejected``."""
    raw = rec.value() or b""
    try:
        cmd = decode(raw, OperationClose)
    except DecodeError as exc:
        raise Rejected(exc.reason, DlqStage.DECODE, str(exc)) from None
    if cmd.region != region:
        error = f"region: the command says {cmd.region}, but was published on {region}'s topic"
        raise Rejected(DlqReason.REGION_MISMATCH, DlqStage.VALIDATE, error)
    headers: Headers = [
        (KIND_HEADER, b"close"),
        (_TOPIC, (rec.topic() or "").encode()),
        (_PARTITION, str(rec.partition() or 0).encode()),
        (_OFFSET, str(rec.offset() or 0).encode()),
    ]
    return cmd, Outgoing(cat.escalate_inbox, cmd.operation_id.encode(), raw, headers)


def original(rec: InRecord) -> Record:
    """The region's record a forwarded close command stands for (for its dead letter)."""
    h = {k: v for k, v in rec.headers() or () if v is not None}
    return Record(
        h[_TOPIC].decode(),
        rec.value(),
        int(h[_OFFSET]),
        int(h[_PARTITION]),
        rec.key(),
    )


def take_in(rec: InRecord, cat: Catalogue, rules: EscalationRules | None) -> Outgoing | None:
    """The inbox record of ``rec`` (a hit or a match), None when no rule needs it; raises ``Skipped``."""
    topic = rec.topic() or ""
    if topic == cat.matches:
        if rules is not None and rules.multi_region is None and rules.border is None:
            return None
        try:
            seen = Seen.of_match(decode(rec.value() or b"", Match))
        except DecodeError as exc:
            raise Skipped("undecodable") from exc  # written by the hot path only: a bug, not an attack
    else:
        if rules is not None and rules.cloned_plate is None:
            return None
        try:
            hit = decode(rec.value() or b"", CheckpointHit)
        except DecodeError as exc:
            raise Skipped("undecodable") from exc
        parsed = cat.parse_region_topic(topic)
        if parsed is None or parsed[0] != hit.region:
            raise Skipped("impersonation")
        min_confidence = rules.cloned_plate.min_confidence if rules and rules.cloned_plate else 1.0
        seen = Seen.of_hit(hit, min_confidence)
    return Outgoing(cat.escalate_inbox, seen.plate.encode(), orjson.dumps(seen.row()))
