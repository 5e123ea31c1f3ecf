"""What the lean decoders (hit_lean, entry_lean) share: a record's JSON object and canonical UTC times."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import orjson

__all__ = ["json_object", "utc_time"]

# what encode writes (6-digit fractions, Z) and what isoformat() of a UTC time writes (+00:00)
_UTC_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|\+00:00)"
).fullmatch
_loads = orjson.loads
_fromisoformat = datetime.fromisoformat


def json_object(data: object, fields: frozenset[str]) -> dict[str, Any] | None:
    """The JSON object in ``data`` (bytes) when it names only ``fields``; None declines it to the model."""
    if type(data) is not bytes:
        return None
    try:
        obj = _loads(data)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict or not fields.issuperset(obj):
        return None
    return obj


def utc_time(value: str) -> datetime | None:
    """The datetime of a canonical UTC time, or None when it is not one."""
    if _UTC_TIME(value) is None:
        return None
    try:
        return _fromisoformat(value)
    except ValueError:  # e.g. month 13: the model words it
        return None
