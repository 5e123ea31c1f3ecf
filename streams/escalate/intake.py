"""Stage 1: a region's hit or a match, decoded into a compact read for the inbox, keyed by plate.

Only what a declared rule needs is taken in: plain hits for the cloned-plate rule, matches for the
multi-region and border rules (before a zone is loaded, everything). A hit the hot path refuses
(undecodable, published under another region's name) is skipped here and counted: the hot path
dead-letters and audits it, and one record is not dead-lettered twice.
"""

from __future__ import annotations

import orjson

from schemas.codec import DecodeError, decode
from schemas.escalation import EscalationRules
from schemas.hits import CheckpointHit
from schemas.matching import Match
from schemas.topics import Catalogue
from streams.escalate.seen import Seen
from streams.runtime import InRecord, Outgoing

__all__ = ["Skipped", "take_in"]


class Skipped(Exception):
    """An input not taken in; ``str(exc)`` is the reason (a bounded metric label)."""


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
