"""Annotated field types shared by the wire models: region codes, plates, plate types, local times."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

from schemas.base import to_utc
from schemas.plates import PlateError, PlateIssuer, PlateKind, Strictness, normalise_plate
from schemas.regions import check_region

__all__ = [
    "CHINA_STANDARD_TIME",
    "CheckpointTime",
    "PlateText",
    "PlateTypeCode",
    "ReadPlateText",
    "RegionCode",
    "normalised_plate_text",
    "parse_china_local_time",
    "read_plate_text",
]

#: UTC+8. China has not observed daylight saving time since 1991, so a fixed offset is exact for every
#: record RAX sees and needs no tz database on the host.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")

#: A GB/T 2260 region code known to the registry (``schemas.regions``).
RegionCode = Annotated[
    str,
    Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$", examples=["510000", "500153"]),
    AfterValidator(check_region),
]


def normalised_plate_text(raw: str) -> str:
    """The normalised text of a plate a person wrote (entry strictness, cached); raises PlateError.

    Here a Hong Kong personalised mark needs no stated issuer: alert and audit plates have no field to
    state it, and they are read by people, never matched against reads. A watchlist entry, which is
    matched, must state it (``schemas.plate_pattern.normalise_pattern``).
    """
    try:
        return normalise_plate(raw).text
    except PlateError:
        plate = normalise_plate(raw, Strictness.READ)  # raises for what is no plate at all
        if plate.kind is not PlateKind.HONG_KONG_PERSONALISED:
            raise
        return normalise_plate(raw, Strictness.ENTRY, PlateIssuer.HONG_KONG).text


def read_plate_text(raw: str) -> str:
    """The normalised text of a plate a camera read (read strictness, cached); raises PlateError."""
    return normalise_plate(raw, Strictness.READ).text


#: A plate a person wrote (entry strictness, ``schemas.plates.Strictness``); any accepted spelling
#: (川A·12345, ｃ川a 12345 …) is stored in its normalised form.
PlateText = Annotated[
    str,
    Field(min_length=1, max_length=16, examples=["川A12345", "渝BD12345"]),
    AfterValidator(normalised_plate_text),
]

#: A plate a camera read (read strictness): any text of a plate's shape, normalised; the issuing rule
#: it breaks, if any, is for the model to record (``CheckpointHit.breaks``).
ReadPlateText = Annotated[
    str,
    Field(min_length=1, max_length=16, examples=["川A12345", "渝BD12345", "川A6ZE1N"]),
    AfterValidator(read_plate_text),
]


def _two_digits(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 99:
        return f"{value:02d}"
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]\s*", value):
        return f"0{value.strip()}"
    return value


#: A plate type (号牌种类, hpzl) as the two-digit GA 24.7 code: "01" large vehicle, "02" small vehicle,
#: "51"/"52" large/small new-energy vehicle, …. Integers and one-digit strings are zero-padded.
PlateTypeCode = Annotated[
    str, Field(pattern=r"^[0-9]{2}$", examples=["01", "02", "52"]), BeforeValidator(_two_digits)
]

_LOCAL_RE = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$|^(\d{14})$"
)


def parse_china_local_time(value: object) -> object:
    """Read a Chinese system time without offset (``2024-05-01 08:30:00``, ``20240501083000``) as UTC+8.

    Chinese checkpoint platforms write pass times in local time without an offset; those two layouts
    (space between date and time, or 14 digits) are taken to be China Standard Time. Every other input
    is returned unchanged, so ISO 8601 *with* an offset is accepted and a naive ISO time (``T`` without
    offset) is still rejected as ambiguous.
    """
    if not isinstance(value, str):
        return value
    m = _LOCAL_RE.fullmatch(value.strip())
    if m is None:
        return value
    try:
        if m.group(8):
            naive = datetime.strptime(m.group(8), "%Y%m%d%H%M%S")
        else:
            year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
            micro = int((m.group(7) or "0").ljust(6, "0"))
            naive = datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        return value  # e.g. month 13: let the datetime validation report it on the field
    return naive.replace(tzinfo=CHINA_STANDARD_TIME)


#: A pass time: ISO 8601 with offset, or a Chinese local system time (UTC+8); stored in UTC.
CheckpointTime = Annotated[AwareDatetime, BeforeValidator(parse_china_local_time), AfterValidator(to_utc)]
