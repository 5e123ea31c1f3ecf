"""The CAP 1.2 vocabulary: its enumerations, value pairs, references and space-delimited lists.

Field names are snake_case English; the CAP 1.2 element names (``msgType``, ``senderName``,
``category``, ``areaDesc``, ``valueName`` …) are accepted on input too, so a CAP document turned into a
dict can be validated directly. Lists that CAP writes as one space-separated string (``addresses``,
``incidents``, ``references``, ``polygon``, ``circle``) are accepted in that form as well.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field, model_validator

from schemas.base import ShortText, UtcDatetime, WirePart

__all__ = [
    "CAP_ID_PATTERN",
    "CapCategory",
    "CapList",
    "Certainty",
    "MsgType",
    "Reference",
    "ResponseType",
    "Scope",
    "Severity",
    "Status",
    "Urgency",
    "ValuePair",
    "cap_alias",
    "split_cap_list",
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
    value: str = Field(max_length=2000, description="CAP value.")


# CAP identifiers and senders must not contain spaces, commas or the XML-restricted < and &.
CAP_ID_PATTERN = r"^[^\s,<&]+$"


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

    @model_validator(mode="before")
    @classmethod
    def _from_triplet(cls, data: Any) -> Any:
        if isinstance(data, str):
            parts = data.strip().split(",")
            if len(parts) != 3:
                raise ValueError(f"a CAP reference is 'sender,identifier,sent', got {data!r}")
            return dict(zip(("sender", "identifier", "sent"), parts, strict=True))
        return data

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the referenced message: (sender, identifier)."""
        return (self.sender, self.identifier)
