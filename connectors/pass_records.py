"""Pass-record fields (Chinese or English names) to CheckpointHit fields, for the checkpoint connectors."""

from __future__ import annotations

from typing import Any

from schemas.base import stable_event_id
from schemas.hits import CHINESE_FIELD_NAMES, CheckpointHit

__all__ = ["UNREAD_PLATES", "hit_fields", "is_unread"]

#: every column name a hit may carry, lower-cased, to its English field name
_KNOWN = {name: name for name in CheckpointHit.model_fields} | {v: k for k, v in CHINESE_FIELD_NAMES.items()}
_KNOWN |= {"tp1": "image_ref", "tpurl": "image_ref"}

#: what platforms write when the camera saw a vehicle but read no plate: not a hit, dropped and counted
UNREAD_PLATES = frozenset(
    {"无牌", "无车牌", "未识别", "未知", "车牌", "无", "-", "00000000", "NONE", "UNKNOWN"}
)


def is_unread(fields: dict[str, Any]) -> bool:
    """True when the record's plate says the camera read no plate."""
    if "plate" not in fields and "hphm" not in fields:
        return False  # no plate column at all: a schema violation, for the DLQ
    plate = fields.get("plate", fields.get("hphm"))
    return plate is None or (isinstance(plate, str) and plate.strip().upper() in UNREAD_PLATES | {""})


def hit_fields(fields: dict[str, Any], *, region: str, source_id: str, received_at: str) -> dict[str, Any]:
    """CheckpointHit fields from a source record's fields (validated later by the runtime); raises
    ValueError when two of its names for one field (``hphm`` and ``plate``) give different values.

    Unknown columns (vehicle colour, brand, extra image urls …) are dropped; empty values are absent.
    The region defaults to the connector's. The event id is the source's own when it sends one, else
    derived from what identifies the pass (checkpoint, plate, time, lane), so a re-sent line, or the same
    pass exported twice, keeps its id.
    """
    out: dict[str, Any] = {}
    named: dict[str, str] = {}  # English field -> the source's name that gave it
    for name, value in fields.items():
        english = _KNOWN.get(name)
        if english is None or value is None or (isinstance(value, str) and not value.strip()):
            continue
        value = value.strip() if isinstance(value, str) else value
        if english in out and out[english] != value:  # e.g. both hphm and plate: which one is meant?
            raise ValueError(f"{named[english]} and {name} both give {english}, with different values")
        out[english], named[english] = value, name
    if "confidence" in out:
        out["confidence"] = _fraction(out["confidence"])
    out.setdefault("region", region)
    out.setdefault("source", source_id)
    out.setdefault("received_at", received_at)
    if "event_id" not in out:
        identity = [str(out.get(k, "")) for k in ("region", "checkpoint_id", "plate", "pass_time", "lane")]
        out["event_id"] = stable_event_id(*identity)
    out.pop("schema_version", None)
    return out


def _fraction(value: Any) -> Any:
    """A confidence as the wire model has it, 0..1: platforms that write a percentage (``95``, ``"87.5"``)
    have it divided by 100; anything else is left for the model to judge (and refuse)."""
    if isinstance(value, bool):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return number / 100 if 1 < number <= 100 else value
