"""A read the normaliser corrected into its plate (``川AI2345`` read as ``川A12345``): a misread to verify.

The connectors and the hit model normalise a camera's text, replacing characters that cannot occur on
a plate (a serial I or O, an authority 0) and supplying a consulate's 领 to a plate read without it;
``Plate.corrected`` says so, and the model keeps the camera's text in ``plate_read``. A match of such a
read with an entry of that very plate is therefore a match on a misread, not on what the camera read:
the hot path delivers it as ``misread``, with the characters changed as its edits (``schemas.matching``).
Only on a match (the model is built then), so it costs the hot path nothing per read.
"""

from __future__ import annotations

from schemas.hits import CheckpointHit
from schemas.plates import PlateError, read_plate
from schemas.plates.chars import canonical
from schemas.watchlist import MAX_TOLERANCE

__all__ = ["corrections"]


def corrections(hit: CheckpointHit) -> int:
    """How many characters normalisation changed to make ``hit.plate`` of the camera's text (0: none)."""
    raw = hit.plate_read
    if raw is None:
        return 0
    try:
        plate = read_plate(raw)
    except PlateError:
        return 0  # a text the connector kept beside a plate it read otherwise: not a correction here
    if not plate.corrected or plate.text != hit.plate:
        return 0
    read = canonical(raw)
    if len(read) != len(plate.text):
        return 1  # a character supplied (a consulate's 领)
    changed = sum(a != b for a, b in zip(read, plate.text, strict=True))
    return min(MAX_TOLERANCE, max(1, changed))
