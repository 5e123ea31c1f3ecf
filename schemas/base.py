"""The shared base of every wire model: frozen, strict about extra fields, versioned, UTC times, ids."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "INVISIBLE",
    "MULTI_LINE",
    "REFUSED_CHARACTER",
    "SINGLE_LINE",
    "UNREPRESENTABLE_TIME",
    "DigestId",
    "EventId",
    "ShortText",
    "Text",
    "UtcDatetime",
    "WireModel",
    "WirePart",
    "digest_id",
    "new_event_id",
    "stable_event_id",
    "to_utc",
]

#: The namespace of ``stable_event_id``: a fixed uuid5 namespace so every connector derives the same ids.
RAX_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:rax:event")

_SEP = "\x1f"  # ASCII unit separator: cannot occur in ids, so joined parts never collide


class WirePart(BaseModel):
    """Base of the parts nested inside wire models (an approval, a CAP area): frozen, no extra fields.

    Instances are immutable values: built once (by a producer or by ``schemas.codec.decode``) and never
    changed; to change one, build a new one (``model_copy(update=...)`` skips validation). Unknown
    fields are rejected so a typo or a field from a newer schema fails loudly instead of being dropped.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        allow_inf_nan=False,
        str_strip_whitespace=True,
        use_enum_values=False,
    )


class WireModel(WirePart):
    """Base of every RAX wire model: a ``WirePart`` that says which version of its contract it follows."""

    schema_version: Literal[1] = Field(
        default=1, description="Version of this wire contract; a reader rejects versions it does not know."
    )


#: the error type of a time that has no UTC instant (``codec`` dead-letters it as ``implausible_time``)
UNREPRESENTABLE_TIME = "implausible_time"


def to_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; reject a naive one (its meaning depends on the reader's clock)
    and one whose UTC instant is outside the years 1–9999 (``9999-12-31T23:59:59-08:00``): Python's
    ``astimezone`` raises ``OverflowError`` there, which no validator may let escape a decoder."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must carry a UTC offset (e.g. 2024-05-01T08:30:00+08:00 or ...Z)")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            UNREPRESENTABLE_TIME,
            "{value} has no UTC instant within the years 0001-9999: not a plausible time",
            {"value": value.isoformat()},
        ) from None


#: A timezone-aware instant, stored in UTC. Naive inputs are rejected; serialised as ISO 8601 with ``Z``.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(to_utc)]


#: An event id: a UUID in canonical form (lower-case, hyphenated), set by the producer of the event.
#: Stripping, lower-casing and the pattern run inside pydantic-core, with no Python call per record:
#: this is on the hot path. Pass ``str(uuid)`` for a ``uuid.UUID``.
EventId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True),
    Field(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        examples=["0b6f3c52-93a1-4d0e-8f7a-2c4e5b6a7d81"],
    ),
]

#: A deterministic id: 32 lower-case hex characters of a SHA-256 digest (see ``digest_id``).
DigestId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]

#: Characters no text field may hold besides C0 controls (a regex character-class body): DEL and the C1
#: controls, and every format character (Unicode category Cf) — bidi overrides and isolates (U+202A-202E,
#: U+2066-2069), zero-width characters, the BOM, Arabic number signs, tag characters (U+E0000 block) —
#: that make a checkpoint id or a headline read differently on another screen. The BMP ones are written
#: as escapes; those beyond it as the characters themselves, the one spelling that Rust (pydantic-core),
#: Python and ECMA-262 (``u`` flag) regular expressions all read. Unpaired surrogates cannot pass any
#: pattern (pydantic refuses them as not Unicode) nor any JSON decoder of ours.
INVISIBLE = (
    r"\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)

#: Pattern of single-line text: no control character, nothing invisible, and neither of Unicode's line
#: and paragraph separators (U+2028, U+2029), which break a line on screens that honour them.
SINGLE_LINE = rf"^[^\x00-\x1f\u2028\u2029{INVISIBLE}]*$"

#: Pattern of multi-line text: tab, line feed and carriage return allowed; other controls are not.
MULTI_LINE = rf"^[^\x00-\x08\x0b\x0c\x0e-\x1f{INVISIBLE}]*$"

#: any character a text pattern refuses: an error names the first one in the text instead of repeating
#: the pattern, whose invisible characters would otherwise reach logs and dead letters
REFUSED_CHARACTER = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\u2028\u2029{INVISIBLE}]")

#: A short single-line label (names, ids from other systems, operator numbers).
ShortText = Annotated[str, Field(min_length=1, max_length=128, pattern=SINGLE_LINE)]

#: Free text (notes, reasons, descriptions); bounded so a record stays far below Kafka's size limit.
Text = Annotated[str, Field(min_length=1, max_length=8000, pattern=MULTI_LINE)]


def new_event_id() -> str:
    """A fresh random event id (UUID4) for an event that has no natural identity at its source."""
    return str(uuid.uuid4())


def stable_event_id(*parts: str) -> str:
    """A deterministic event id (UUID5) from the identity of a record at its source.

    A connector that re-reads the same source record (after a restart, a retry) must publish the same
    event id, so that dedup recognises it: derive the id from what identifies the record at the source,
    e.g. ``stable_event_id("510000", "kkbh-0042", "2024-05-01T00:30:00Z", "川A12345", "lane-2")``.
    """
    if not parts:
        raise ValueError("stable_event_id needs at least one part")
    return str(uuid.uuid5(RAX_NAMESPACE, _SEP.join(parts)))


def digest_id(*parts: str) -> str:
    """First 32 hex characters (128 bits) of SHA-256 over ``parts`` joined by the unit separator 0x1F.

    The separator cannot occur inside RAX ids, so ``("ab", "c")`` and ``("a", "bc")`` never collide.
    """
    if not parts:
        raise ValueError("digest_id needs at least one part")
    for part in parts:
        if _SEP in part:
            raise ValueError(f"id part {part!r} contains the separator 0x1F")
    return hashlib.sha256(_SEP.join(parts).encode("utf-8")).hexdigest()[:32]
