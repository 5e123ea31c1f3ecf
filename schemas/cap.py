"""The CAP 1.2 vocabulary: its enumerations, value pairs, references and space-delimited lists.

Field names are snake_case English; the CAP 1.2 element names (``msgType``, ``senderName``,
``category``, ``areaDesc``, ``valueName`` …) are accepted on input too, so a CAP document turned into a
dict can be validated directly. Lists that CAP writes as one space-separated string (``addresses``,
``incidents``, ``references``, ``polygon``, ``circle``) are accepted in that form as well. Times are
stored in UTC; the offset a time was written with (``2003-06-17T14:57:00-07:00`` keeps ``-07:00``) is
kept beside it in ``<time>_offset``, filled from the input unless given, so a message can be written
back as it came.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field, model_validator

from schemas.base import INVISIBLE, MULTI_LINE, SINGLE_LINE, ShortText, UtcDatetime, WirePart

__all__ = [
    "CAP_ID_PATTERN",
    "CapCategory",
    "CapList",
    "Certainty",
    "Distribution",
    "MsgType",
    "Reference",
    "ResponseType",
    "Scope",
    "Severity",
    "Status",
    "Urgency",
    "UtcOffset",
    "ValuePair",
    "cap_alias",
    "keep_offsets",
    "split_cap_list",
    "utc_offset",
]


class Status(StrEnum):
    """CAP ``status``: how the message is meant to be handled."""

    ACTUAL = "Actual"
    EXERCISE = "Exercise"
    SYSTEM = "System"
    TEST = "Test"
    DRAFT = "Draft"


class MsgType(StrEnum):
    """CAP ``msgType``: a new alert, or an update / cancellation / ack / error about earlier ones."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"
    ACK = "Ack"
    ERROR = "Error"


class Scope(StrEnum):
    """CAP ``scope``: who may see the message."""

    PUBLIC = "Public"
    RESTRICTED = "Restricted"
    PRIVATE = "Private"


class CapCategory(StrEnum):
    """CAP ``category`` of an info block."""

    GEO = "Geo"
    MET = "Met"
    SAFETY = "Safety"
    SECURITY = "Security"
    RESCUE = "Rescue"
    FIRE = "Fire"
    HEALTH = "Health"
    ENV = "Env"
    TRANSPORT = "Transport"
    INFRA = "Infra"
    CBRNE = "CBRNE"
    OTHER = "Other"


class ResponseType(StrEnum):
    """CAP ``responseType``: the action recommended to the audience."""

    SHELTER = "Shelter"
    EVACUATE = "Evacuate"
    PREPARE = "Prepare"
    EXECUTE = "Execute"
    AVOID = "Avoid"
    MONITOR = "Monitor"
    ASSESS = "Assess"
    ALL_CLEAR = "AllClear"
    NONE = "None"


class Urgency(StrEnum):
    """CAP ``urgency``."""

    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class Severity(StrEnum):
    """CAP ``severity``."""

    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class Certainty(StrEnum):
    """CAP ``certainty``."""

    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


_TOKEN_RE = re.compile(r'"([^"]*)"|(\S+)')


def split_cap_list(value: object) -> object:
    """Split a CAP space-delimited list (``"a b" c``: double quotes keep spaces) into a list of strings."""
    if isinstance(value, str):
        return [quoted if quoted else bare for quoted, bare in _TOKEN_RE.findall(value)]
    return value


#: A list field that also takes CAP's single space-delimited string.
CapList = Annotated[tuple[ShortText, ...], BeforeValidator(split_cap_list)]


def cap_alias(name: str, cap_name: str) -> AliasChoices:
    """Accept a field under its RAX name and under its CAP element name."""
    return AliasChoices(name, cap_name)


class ValuePair(WirePart):
    """A CAP ``valueName`` / ``value`` pair (event codes, parameters, geocodes)."""

    name: ShortText = Field(validation_alias=cap_alias("name", "valueName"), description="CAP valueName.")
    value: str = Field(max_length=2000, pattern=MULTI_LINE, description="CAP value.")


# CAP identifiers and senders must not contain spaces, commas or the XML-restricted < and &, nor any
# control or invisible character.
CAP_ID_PATTERN = rf"^[^\s,<&\x00-\x1f{INVISIBLE}]+$"

#: A UTC offset as CAP writes it (``-07:00``, ``+08:00``; UTC is ``-00:00``, CAP forbids ``Z``).
UtcOffset = Annotated[str, Field(pattern=r"^[+-](0[0-9]|1[0-4]):[0-5][0-9]$", examples=["-07:00", "+08:00"])]

_OFFSET_RE = re.compile(r"[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?([+-])(\d{2}):?(\d{2})$")


def utc_offset(value: object) -> str | None:
    """The offset a time was written with (``-07:00``); None for ``Z``, no offset, or a UTC datetime."""
    if isinstance(value, str):
        m = _OFFSET_RE.search(value.strip())
        return f"{m[1]}{m[2]}:{m[3]}" if m else None
    if isinstance(value, datetime) and (delta := value.utcoffset()):
        minutes = int(delta.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return None


def keep_offsets(data: Any, *names: str) -> Any:
    """``data`` with ``<name>_offset`` filled from how each time ``name`` was written, unless given."""
    if not isinstance(data, dict):
        return data
    found = {f"{n}_offset": utc_offset(data.get(n)) for n in names if f"{n}_offset" not in data}
    return {**data, **{k: v for k, v in found.items() if v is not None}}


class Reference(WirePart):
    """One earlier message a CAP message refers to: CAP's ``sender,identifier,sent`` triplet.

    Accepted on input as the triplet string or as an object. References are matched on sender,
    identifier and the instant of ``sent`` (stored in UTC), never on the text of the triplet.
    """

    sender: str = Field(min_length=1, max_length=256, pattern=CAP_ID_PATTERN, description="CAP sender.")
    identifier: str = Field(
        min_length=1, max_length=256, pattern=CAP_ID_PATTERN, description="CAP identifier."
    )
    sent: UtcDatetime = Field(description="CAP sent time of the referenced message, UTC.")
    sent_offset: UtcOffset | None = Field(
        default=None, description="The UTC offset `sent` was written with in the triplet; None: UTC."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_triplet(cls, data: Any) -> Any:
        if isinstance(data, str):
            parts = data.strip().split(",")
            if len(parts) != 3:
                raise ValueError(f"a CAP reference is 'sender,identifier,sent', got {data!r}")
            data = dict(zip(("sender", "identifier", "sent"), parts, strict=True))
        return keep_offsets(data, "sent")

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the referenced message: (sender, identifier)."""
        return (self.sender, self.identifier)


class Distribution(WirePart):
    """The OASIS EDXL-DE 1.0 distribution a CAP message arrived wrapped in, kept as its provenance."""

    distribution_id: str = Field(
        min_length=1,
        max_length=256,
        pattern=SINGLE_LINE,
        validation_alias=cap_alias("distribution_id", "distributionID"),
        description="EDXL-DE distributionID: unique for its sender.",
    )
    sender_id: str = Field(
        min_length=1,
        max_length=256,
        pattern=SINGLE_LINE,
        validation_alias=cap_alias("sender_id", "senderID"),
        description="EDXL-DE senderID: who sent the distribution (actor@domain).",
    )
