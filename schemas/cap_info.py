"""The CAP 1.2 info block and its parts: resources, areas with polygons, circles and geocodes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from schemas.base import MULTI_LINE, SINGLE_LINE, ShortText, Text, UtcDatetime, WirePart
from schemas.cap import (
    CapCategory,
    Certainty,
    ResponseType,
    Severity,
    Urgency,
    UtcOffset,
    ValuePair,
    cap_alias,
    keep_offsets,
)

__all__ = ["Area", "Circle", "Info", "Polygon", "Resource"]


class Resource(WirePart):
    """A CAP ``resource``: a file that supplements an info block, by reference."""

    resource_desc: ShortText = Field(
        validation_alias=cap_alias("resource_desc", "resourceDesc"), description="What the resource is."
    )
    mime_type: ShortText = Field(
        validation_alias=cap_alias("mime_type", "mimeType"), description="MIME type."
    )
    size: int | None = Field(default=None, ge=0, description="Size in bytes.")
    uri: str | None = Field(
        default=None, max_length=2048, pattern=SINGLE_LINE, description="Where to get it."
    )
    deref_uri: str | None = Field(
        default=None,
        pattern=MULTI_LINE,
        validation_alias=cap_alias("deref_uri", "derefUri"),
        description="Base64 content (discouraged).",
    )
    digest: str | None = Field(
        default=None, max_length=128, pattern=SINGLE_LINE, description="SHA-1 of the resource, hex."
    )


Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Point = tuple[Latitude, Longitude]


def _parse_polygon(value: object) -> object:
    if isinstance(value, str):
        return [tuple(pair.split(",")) for pair in value.split()]
    return value


def _closed(points: tuple[Point, ...]) -> tuple[Point, ...]:
    if len(points) < 4:
        raise ValueError("a CAP polygon needs at least 4 points")
    if points[0] != points[-1]:
        raise ValueError("a CAP polygon must end at its first point")
    return points


#: A closed polygon of WGS 84 (lat, lon) points; accepts CAP's ``"lat,lon lat,lon …"`` string.
Polygon = Annotated[
    tuple[Point, ...], Field(min_length=4), BeforeValidator(_parse_polygon), AfterValidator(_closed)
]


class Circle(WirePart):
    """A CAP ``circle``: a WGS 84 centre and a radius in kilometres; accepts ``"lat,lon radius"``."""

    lat: Latitude = Field(description="Latitude of the centre, WGS 84.")
    lon: Longitude = Field(description="Longitude of the centre, WGS 84.")
    radius_km: float = Field(ge=0, description="Radius in kilometres.")

    @model_validator(mode="before")
    @classmethod
    def _from_cap(cls, data: Any) -> Any:
        if isinstance(data, str):
            try:
                centre, radius = data.split()
                lat, lon = centre.split(",")
            except ValueError:
                raise ValueError(f"a CAP circle is 'lat,lon radius', got {data!r}") from None
            return {"lat": lat, "lon": lon, "radius_km": radius}
        return data


class Area(WirePart):
    """A CAP ``area``: where an info block applies."""

    area_desc: Text = Field(
        max_length=2000, validation_alias=cap_alias("area_desc", "areaDesc"), description="The area in words."
    )
    polygons: tuple[Polygon, ...] = Field(
        default=(),
        validation_alias=cap_alias("polygons", "polygon"),
        description="Closed polygons, (lat, lon).",
    )
    circles: tuple[Circle, ...] = Field(
        default=(), validation_alias=cap_alias("circles", "circle"), description="Circles."
    )
    geocodes: tuple[ValuePair, ...] = Field(
        default=(),
        validation_alias=cap_alias("geocodes", "geocode"),
        description="Geographic codes; RAX uses name 'GB/T 2260' with a 6-digit region code.",
    )
    altitude: float | None = Field(
        default=None, description="Altitude (feet above mean sea level, as in CAP)."
    )
    ceiling: float | None = Field(default=None, description="Maximum altitude; only together with altitude.")

    @field_validator("ceiling")
    @classmethod
    def _ceiling_needs_altitude(cls, ceiling: float | None, info: ValidationInfo) -> float | None:
        altitude = info.data.get("altitude")
        if ceiling is not None and (altitude is None or ceiling < altitude):
            raise ValueError("needs altitude and must not be below it")
        return ceiling


class Info(WirePart):
    """A CAP ``info`` block: one language's description of the event and what to do."""

    language: str = Field(
        default="zh-CN",
        pattern=r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$",
        description="RFC 3066 language of this block. RAX default zh-CN (CAP XML without <language> "
        "means en-US: set it when converting).",
    )
    categories: tuple[CapCategory, ...] = Field(
        validation_alias=cap_alias("categories", "category"), min_length=1, description="CAP categories."
    )
    event: Text = Field(max_length=500, description="The type of event, in words.")
    response_types: tuple[ResponseType, ...] = Field(
        default=(),
        validation_alias=cap_alias("response_types", "responseType"),
        description="Recommended actions.",
    )
    urgency: Urgency = Field(description="CAP urgency.")
    severity: Severity = Field(description="CAP severity.")
    certainty: Certainty = Field(description="CAP certainty.")
    audience: Text | None = Field(default=None, max_length=500, description="Intended audience.")
    event_codes: tuple[ValuePair, ...] = Field(
        default=(),
        validation_alias=cap_alias("event_codes", "eventCode"),
        description="System-specific event codes.",
    )
    effective: UtcDatetime | None = Field(default=None, description="When the information takes effect, UTC.")
    onset: UtcDatetime | None = Field(default=None, description="Expected start of the event, UTC.")
    expires: UtcDatetime | None = Field(default=None, description="When the information expires, UTC.")
    effective_offset: UtcOffset | None = Field(
        default=None, description="The UTC offset `effective` was written with; None: UTC."
    )
    onset_offset: UtcOffset | None = Field(
        default=None, description="The UTC offset `onset` was written with; None: UTC."
    )
    expires_offset: UtcOffset | None = Field(
        default=None, description="The UTC offset `expires` was written with; None: UTC."
    )
    sender_name: Text | None = Field(
        default=None,
        max_length=500,
        validation_alias=cap_alias("sender_name", "senderName"),
        description="Sender.",
    )
    headline: Text | None = Field(default=None, max_length=500, description="Brief headline.")
    description: Text | None = Field(default=None, description="Extended description of the event.")
    instruction: Text | None = Field(default=None, description="Recommended action, in words.")
    web: str | None = Field(
        default=None, max_length=2048, pattern=SINGLE_LINE, description="URI with more information."
    )
    contact: Text | None = Field(default=None, max_length=500, description="Contact for follow-up.")
    parameters: tuple[ValuePair, ...] = Field(
        default=(),
        validation_alias=cap_alias("parameters", "parameter"),
        description="System-specific parameters.",
    )
    resources: tuple[Resource, ...] = Field(
        default=(), validation_alias=cap_alias("resources", "resource"), description="Supplementary files."
    )
    areas: tuple[Area, ...] = Field(
        default=(), validation_alias=cap_alias("areas", "area"), description="Where the information applies."
    )

    @model_validator(mode="before")
    @classmethod
    def _offsets(cls, data: Any) -> Any:
        return keep_offsets(data, "effective", "onset", "expires")

    def expired(self, at: datetime) -> bool:
        """True if this block has an expiry and it is not after ``at``."""
        return self.expires is not None and self.expires <= at
