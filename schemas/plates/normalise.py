"""The public plate functions: normalise a raw plate, check one for a report, and the Kafka key.

``normalise_plate`` is on the hot path: one NFKC call, one ``str.translate`` and a parse of at most
nine characters, behind an LRU cache because checkpoint reads repeat the same plates all day. Errors
are not cached.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final, TypedDict

from schemas.plates.chars import canonical, nfkc
from schemas.plates.model import Plate, PlateError
from schemas.plates.validate import parse

__all__ = ["PlateCheck", "check_plate", "normalise_plate", "plate_key"]

#: raw input longer than this is rejected before NFKC (which can make text longer)
_MAX_RAW_LENGTH: Final = 64


class PlateCheck(TypedDict):
    """One line of a plate check report: exactly these five keys."""

    input: str
    valid: bool
    plate: str | None
    kind: str | None
    error: str | None


@lru_cache(maxsize=65536)
def _normalise(raw: str) -> Plate:
    if len(raw) > _MAX_RAW_LENGTH:
        raise PlateError(f"too long for a plate: {len(raw)} characters")
    text = nfkc(raw)
    return parse(canonical(text), text)


def normalise_plate(raw: str) -> Plate:
    """The normalised Plate for ``raw`` text from a reader or a person; raises PlateError."""
    if not isinstance(raw, str):
        raise PlateError(f"a plate must be text, got {type(raw).__name__}")
    return _normalise(raw)


def plate_key(raw: str) -> str:
    """The normalised plate text, used as the Kafka message key; raises PlateError."""
    if not isinstance(raw, str):
        raise PlateError(f"a plate must be text, got {type(raw).__name__}")
    return _normalise(raw).text


def check_plate(raw: str) -> PlateCheck:
    """A report on ``raw``: the normalised plate and kind if valid, else what is wrong with it."""
    try:
        plate = normalise_plate(raw)
    except PlateError as exc:
        return {"input": raw, "valid": False, "plate": None, "kind": None, "error": str(exc)}
    return {"input": raw, "valid": True, "plate": plate.text, "kind": plate.kind.value, "error": None}
