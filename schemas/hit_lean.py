"""The hot path's hit decoder: canonical hits checked by hand without a model, anything else by the model.

Building a ``CheckpointHit`` costs ~15 µs a hit (``model_construct`` alone ~7 µs), most of the hot path's
CPU, while the hot path needs five strings and two times of each hit and the model only on a match
(~0.05 % of hits). So ``read_hit`` returns a ``HitView``: a tuple of what the hot path needs, from which
``HitView.model()`` builds the model when one is needed, by ``model_validate`` of the same parsed dict
(the model ``decode`` would return, built the same way).

``lean_hit`` accepts only the *canonical form* connectors write (``schemas.codec.encode`` of a hit, or
the same fields without the nulls and derived fields): English field names and no others, the event id
lower-case, no text with surrounding space or a character that is not printable, the region a known
code, the plate already normalised, the colour as the enum's value, the plate type as two digits, lane,
speed and confidence numbers within the model's ranges, times in UTC as ``YYYY-MM-DDTHH:MM:SS[.f]Z`` (or
``+00:00``). Each check is the model's constraint or stricter; what fails any of them is *declined*, not
refused: ``read_hit`` hands the bytes to ``decode_fast``, so an invalid hit gets exactly the model's
``DecodeError`` (message and ``DlqReason``), and a valid non-canonical hit (Chinese field names, colour
codes, local times, a plate to normalise) is still taken, at the model's price.

Why these checks equal the model's where they accept (``tests/unit/test_hit_lean.py`` checks it on
generated valid, invalid and garbled hits and the plate corpus):

* ``str.isprintable`` is false for every character ``SINGLE_LINE`` forbids (C0 and C1 controls, DEL, the
  format characters), and the only white space it lets through is U+0020, so a printable text without
  a space at either end is left alone by ``str_strip_whitespace`` and matches the pattern;
* ``conforms`` and ``breaks`` are never refused when the plate is valid: the model derives them from
  the plate and replaces any value sent, so they are not checked here;
* a time of the form above is read by ``datetime.fromisoformat`` to the datetime pydantic makes of it,
  so the hot path compares the view's times with its bounds exactly as ``hit_time_problem`` does.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, NamedTuple

from schemas.codec import decode_fast
from schemas.hits import CheckpointHit
from schemas.lean_json import json_object, utc_time
from schemas.plates import PlateError, normalised_ordinary, read_plate
from schemas.regions import registry
from schemas.vocab import PlateColour

__all__ = ["HitView", "lean_hit", "read_hit", "read_hit_model", "view_of"]


class HitView(NamedTuple):
    """What the hot path needs of one hit; ``model()`` for the ``CheckpointHit`` itself (on a match).

    Built by ``read_hit`` per consumed record and dropped with its batch. The times are the model's
    (aware, UTC); ``pass_s`` is ``pass_time.timestamp()``.
    """

    event_id: str
    region: str
    checkpoint_id: str
    plate: str
    colour: str | None  # the PlateColour's value
    pass_time: datetime
    received_at: datetime | None
    pass_s: float  # pass_time.timestamp(): the hot path's event time
    record: dict[str, Any] | CheckpointHit  # the parsed record, or the model when the model decoded it
    conforms: bool  # the plate keeps every issuing rule (the model's ``conforms``, derived from the plate)

    def model(self) -> CheckpointHit:
        """The hit as ``decode`` returns it (built on each call: the caller keeps it)."""
        record = self.record
        if isinstance(record, CheckpointHit):
            return record
        return CheckpointHit.model_validate(record)


_FIELDS = frozenset(CheckpointHit.model_fields)  # the English names: Chinese aliases are for the model
_COLOURS = frozenset(c.value for c in PlateColour)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch
_SIX_DIGITS = re.compile(r"[0-9]{6}").fullmatch
_PLATE_TYPES = frozenset(f"{n:02d}" for n in range(100))
_NUMBERS = (float, int)  # bool is neither (``type`` is exact), as JSON numbers are
_PLATE_CACHE = 1 << 16

_regions: set[str] = set()  # region codes known to be valid (bounded by the registry)
_plates: dict[str, bool] = {}  # normalised read plates known, and whether each conforms (cleared when full)
_new = tuple.__new__  # a NamedTuple's own __new__ is a Python function: twice the cost


def _known_region(region: str) -> bool:
    if _SIX_DIGITS(region) is None or region not in registry():
        return False
    _regions.add(region)
    return True


def _normalised_plate(plate: str) -> bool:
    """True when ``plate`` is a read plate in its normalised form (what the model keeps unchanged)."""
    if normalised_ordinary(plate):  # most plates, each met once or twice: one regex, no parse
        conforms = True
    else:
        if not 0 < len(plate) <= 16 or plate.strip() != plate:
            return False
        try:
            read = read_plate(plate)
        except PlateError:
            return False
        if read.text != plate:
            return False
        conforms = read.conforms
    if len(_plates) >= _PLATE_CACHE:
        _plates.clear()
    _plates[plate] = conforms
    return True


def lean_hit(data: object) -> HitView | None:
    """The view of a hit in canonical form, checked as the model would; None declines it (see module)."""
    obj = json_object(data, _FIELDS)
    if obj is None:
        return None
    get = obj.get
    event_id, region, plate, checkpoint_id = (
        get("event_id"),
        get("region"),
        get("plate"),
        get("checkpoint_id"),
    )
    plate_read, direction, image_ref, source = (
        get("plate_read"),
        get("direction"),
        get("image_ref"),
        get("source"),
    )
    colour, plate_type, lane = get("plate_colour"), get("plate_type"), get("lane")
    speed, confidence, version = get("speed_kmh"), get("confidence"), get("schema_version", 1)
    if (
        type(event_id) is not str
        or _UUID(event_id) is None
        or type(region) is not str
        or (region not in _regions and not _known_region(region))
        or type(plate) is not str
        or (plate not in _plates and not _normalised_plate(plate))
        or type(checkpoint_id) is not str
        or not 0 < len(checkpoint_id) <= 128
        or (plate_read is not None and (type(plate_read) is not str or not 0 < len(plate_read) <= 128))
        or (direction is not None and (type(direction) is not str or not 0 < len(direction) <= 16))
        or (image_ref is not None and (type(image_ref) is not str or not 0 < len(image_ref) <= 512))
        or (source is not None and (type(source) is not str or not 0 < len(source) <= 128))
        or (colour is not None and (type(colour) is not str or colour not in _COLOURS))
        or (plate_type is not None and (type(plate_type) is not str or plate_type not in _PLATE_TYPES))
        or (lane is not None and (type(lane) is not int or not 0 <= lane <= 99))
        or (speed is not None and (type(speed) not in _NUMBERS or not 0 <= speed <= 400))
        or (confidence is not None and (type(confidence) not in _NUMBERS or not 0 <= confidence <= 1))
        or type(version) is not int
        or version != 1
    ):
        return None
    # The texts joined by "|": printable, and no space at either end of any of them (a "|" beside a
    # space inside a text declines it too, which is only cautious). Most texts hold no space at all.
    texts = "|".join([checkpoint_id, plate_read or "", direction or "", image_ref or "", source or ""])
    if not texts.isprintable() or (
        " " in texts and (texts[0] == " " or texts[-1] == " " or " |" in texts or "| " in texts)
    ):
        return None
    pass_time, received_at = get("pass_time"), get("received_at")
    if type(pass_time) is not str or (passed := utc_time(pass_time)) is None:
        return None
    received = None
    if received_at is not None and (
        type(received_at) is not str or (received := utc_time(received_at)) is None
    ):
        return None
    conforms = _plates[plate]  # kept by the plate's check above (or an earlier hit's): read once
    return _new(
        HitView,
        (event_id, region, checkpoint_id, plate, colour, passed, received, passed.timestamp(), obj, conforms),
    )


def view_of(hit: CheckpointHit) -> HitView:
    """The view of a decoded model."""
    colour = hit.plate_colour.value if hit.plate_colour is not None else None
    return HitView(
        hit.event_id,
        hit.region,
        hit.checkpoint_id,
        hit.plate,
        colour,
        hit.pass_time,
        hit.received_at,
        hit.pass_time.timestamp(),
        hit,
        hit.conforms,
    )


def read_hit(data: bytes | None) -> HitView:
    """The view of the hit in ``data``: lean when canonical, else by ``decode_fast``; raises DecodeError."""
    view = lean_hit(data)
    if view is not None:
        return view
    return view_of(decode_fast(data, CheckpointHit))


def read_hit_model(data: bytes | None) -> HitView:
    """``read_hit`` by the model for every hit (``decode_fast``): the comparison for benchmarks."""
    return view_of(decode_fast(data, CheckpointHit))
