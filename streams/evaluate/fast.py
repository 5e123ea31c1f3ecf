"""orjson reading of only the fields the evaluator counts; anything unusual → ``None``: the model decides.

Of the evaluator's own per-record work, decoding is most: a pydantic model validates every field of a
hit, an acknowledgement or an audit record, and the evaluator needs three to eight of them. These readers
take a record in its canonical wire form (what ``schemas.codec.encode`` writes) and return those fields
with the types and normalisation the models give them (UTC instants as epoch seconds, event ids stripped
and lower-cased); for anything else — not JSON, not an object, a field missing, of another type, an
alias, a time without an offset or in another form, another ``schema_version`` — they return ``None``
and ``decode.py`` validates the record whole, so a record whose counted fields are wrong is refused with
the model's reason. The fields the counting does not use (a plate's form, an operator's id) are not
checked: validating those is the processors' work
(``docs/evaluate.md``, "Decoding").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson

from schemas.acks import Outcome
from schemas.audit import FORGED_KIND, TRACE_KIND, AuditAct
from schemas.delivery import DeliveryKind

__all__ = ["AckFields", "AuditFields", "HitFields", "ack_fields", "audit_fields", "hit_fields"]

_OUTCOMES = frozenset(o.value for o in Outcome)
_KINDS = frozenset({*(k.value for k in DeliveryKind), TRACE_KIND, FORGED_KIND})
_ACTS = frozenset(a.value for a in AuditAct)
_DECISIONS = frozenset({"disclosed", "refused"})
#: the wire contract version the models read (``WireModel.schema_version``): another is the model's to refuse
_VERSION = 1
#: an instant as ``encode`` writes it, or with a numeric offset; anything else Python's ``fromisoformat``
#: also reads (a week date, the basic format, an offset with seconds) is the model's to judge
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)
#: the forms of the ids and regions the counting keys on (``EventId`` once normalised, ``DigestId``,
#: ``RegionCode``): another is the model's to refuse
_EVENT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DIGEST_ID = re.compile(r"[0-9a-f]{32}")
_REGION = re.compile(r"[0-9]{6}")

#: (checkpoint id, region, pass time)
HitFields = tuple[str, str, float]
#: (ack id, delivery id, region, outcome)
AckFields = tuple[str, str, str, str]


def _object(value: bytes | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        obj = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    version = obj.get("schema_version", _VERSION)
    return obj if type(version) is int and version == _VERSION else None


def _instant(text: object) -> float | None:
    """An ISO 8601 time with its offset as epoch seconds; ``None`` for anything the model must judge
    (another form, or an instant outside the years 1-9999: the model's ``implausible_time``)."""
    if not isinstance(text, str) or _INSTANT.fullmatch(text) is None:
        return None
    try:
        return datetime.fromisoformat(text).astimezone(UTC).timestamp()
    except (ValueError, OverflowError):
        return None


def _text(obj: dict[str, Any], name: str) -> str | None:
    v = obj.get(name)
    return v if isinstance(v, str) and v and v.isprintable() and len(v) <= 128 else None


def _formed(obj: dict[str, Any], name: str, form: re.Pattern[str]) -> str | None:
    """``_text`` of a field that must match ``form`` (an id or a region code)."""
    v = _text(obj, name)
    return v if v is not None and form.fullmatch(v) is not None else None


def hit_fields(value: bytes | None) -> HitFields | None:
    """A checkpoint hit's checkpoint, region and pass time."""
    obj = _object(value)
    if obj is None:
        return None
    cp, region, at = _text(obj, "checkpoint_id"), _text(obj, "region"), _instant(obj.get("pass_time"))
    return None if cp is None or region is None or at is None else (cp, region, at)


def ack_fields(value: bytes | None) -> AckFields | None:
    """An acknowledgement's id (normalised as ``EventId`` does), delivery, region and outcome."""
    obj = _object(value)
    if obj is None:
        return None
    ack, did, region = _text(obj, "ack_id"), _formed(obj, "delivery_id", _DIGEST_ID), _text(obj, "region")
    outcome = obj.get("outcome")
    if ack is None or did is None or region is None or outcome not in _OUTCOMES:
        return None
    ack = ack.strip().lower()
    return None if _EVENT_ID.fullmatch(ack) is None else (ack, did, region, str(outcome))


class AuditFields:
    """The fields of an audit record the evaluator reads (times as epoch seconds)."""

    __slots__ = (
        "act",
        "at",
        "decision",
        "delivery_id",
        "hit_region",
        "kind",
        "owner",
        "plate",
        "recipient",
        "source_time",
        "subject_id",
    )

    def __init__(self, obj: dict[str, Any], at: float, source_time: float) -> None:
        self.delivery_id: str = obj["delivery_id"]
        self.kind: str = obj["kind"]
        self.recipient: str = obj["recipient"]
        self.owner: str = obj["owner"]
        self.subject_id: str = obj["subject_id"]
        self.decision: str = obj["decision"]
        self.act: str | None = obj.get("act")
        self.hit_region: str | None = obj.get("hit_region")
        plates = obj.get("plates") or ()
        self.plate: str | None = plates[0] if plates else None
        self.at = at
        self.source_time = source_time


def audit_fields(value: bytes | None) -> AuditFields | None:
    """An audit record's delivery, kind, parties, subject, decision, act, sighting and times."""
    obj = _object(value)
    if obj is None:
        return None
    if _text(obj, "subject_id") is None or _formed(obj, "delivery_id", _DIGEST_ID) is None:
        return None
    if _formed(obj, "recipient", _REGION) is None or _formed(obj, "owner", _REGION) is None:
        return None
    if obj.get("kind") not in _KINDS or obj.get("decision") not in _DECISIONS:
        return None
    act, hit_region, plates = obj.get("act"), obj.get("hit_region"), obj.get("plates", ())
    if act is not None and act not in _ACTS:
        return None
    if hit_region is not None and _text(obj, "hit_region") is None:
        return None
    if not isinstance(plates, list | tuple) or (plates and _text({"p": plates[0]}, "p") is None):
        return None
    at, source_time = _instant(obj.get("at")), _instant(obj.get("source_time"))
    if at is None or source_time is None:
        return None
    return AuditFields(obj, at, source_time)
