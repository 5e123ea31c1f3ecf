"""A zone's sharing rules: agreements (who may see what of whom) and subscriptions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from schemas.base import ShortText, Text, UtcDatetime, WirePart
from schemas.fields import RegionCode
from schemas.regions import registry
from schemas.vocab import Category

__all__ = [
    "ALL_CATEGORIES",
    "Agreement",
    "CategorySelector",
    "ObjectName",
    "Purpose",
    "RedactField",
    "Subscription",
    "selects",
]

#: The category selector that stands for every category.
ALL_CATEGORIES: Literal["*"] = "*"

#: A category, or ``"*"`` for all of them.
CategorySelector = Category | Literal["*"]

#: An id chosen by people (agreement or subscription id): letters, digits and ``. _ : -``.
ObjectName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]

#: Why data is disclosed, as a short lower-case word (``investigation``, ``interception`` …).
Purpose = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


class RedactField(StrEnum):
    """Fields an agreement may remove from what it discloses (checked against the delivered models)."""

    CHECKPOINT_ID = "checkpoint_id"
    LANE = "lane"
    DIRECTION = "direction"
    SPEED_KMH = "speed_kmh"
    CONFIDENCE = "confidence"
    IMAGE_REF = "image_ref"
    SOURCE = "source"
    PLATE_READ = "plate_read"
    OPERATOR = "operator"
    LEGAL_BASIS = "legal_basis"
    APPROVAL = "approval"
    DESCRIPTION = "description"


def selects(selectors: tuple[CategorySelector, ...], category: Category) -> bool:
    """True if ``selectors`` (categories or ``"*"``) include ``category``."""
    return ALL_CATEGORIES in selectors or category in selectors


def _check_selectors(selectors: tuple[CategorySelector, ...]) -> tuple[CategorySelector, ...]:
    if ALL_CATEGORIES in selectors and len(selectors) > 1:
        raise ValueError("'*' already selects every category; list it alone")
    if len(set(selectors)) != len(selectors):
        raise ValueError("lists a category more than once")
    return selectors


class Agreement(WirePart):
    """Permission for an owner region to disclose its data of some categories to one recipient region.

    No agreement, no disclosure: a recipient other than the owner sees a match or an alert only under an
    agreement that is valid at that moment and selects the category; the fields in ``redact`` are
    removed before the record leaves the processor.
    """

    agreement_id: ObjectName = Field(description="Id of the agreement, unique in the zone.")
    owner: RegionCode = Field(description="Region whose data is disclosed.")
    recipient: RegionCode = Field(description="Region that may receive it; never the owner itself.")
    categories: tuple[CategorySelector, ...] = Field(
        min_length=1, description="Categories that may be disclosed (watchlist and alert), or ['*'] for all."
    )
    redact: tuple[RedactField, ...] = Field(default=(), description="Fields removed before disclosure.")
    purposes: tuple[Purpose, ...] = Field(
        min_length=1, description="Purposes the recipient may use the data for; recorded in the audit."
    )
    valid_from: UtcDatetime = Field(description="When the agreement takes effect, UTC.")
    valid_until: UtcDatetime | None = Field(
        default=None, description="When it ends, UTC; absent = until withdrawn."
    )
    basis: Text | None = Field(default=None, max_length=1000, description="The signed document it rests on.")
    seal: bool = Field(
        default=False,
        description="Seal each delivery under it to the recipient's public key (HPKE): Kafka, its disks "
        "and its operators see ciphertext and routing fields only (docs/threat-model.md).",
    )

    def is_valid_at(self, at: datetime) -> bool:
        """True if the agreement is in force at ``at``."""
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)

    def allows(self, category: Category, at: datetime) -> bool:
        """True if the agreement lets ``category`` be disclosed at ``at``."""
        return self.is_valid_at(at) and selects(self.categories, category)

    @field_validator("categories")
    @classmethod
    def _categories(cls, categories: tuple[CategorySelector, ...]) -> tuple[CategorySelector, ...]:
        return _check_selectors(categories)

    @field_validator("redact", "purposes")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(values)) != len(values):
            raise ValueError("lists a value more than once")
        return values

    @field_validator("valid_until")
    @classmethod
    def _until_after_from(cls, until: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("valid_from")
        if until is not None and start is not None and until <= start:
            raise ValueError("must be after valid_from")
        return until


class Subscription(WirePart):
    """A region's standing request to be told of matches of some categories on hits in some areas.

    It only widens who is asked: the disclosure still needs an agreement from the entry's owner.
    """

    subscription_id: ObjectName = Field(description="Id of the subscription, unique in the zone.")
    region: RegionCode = Field(description="The subscribing region (the recipient).")
    categories: tuple[CategorySelector, ...] = Field(
        min_length=1, description="Categories of interest, or ['*'] for all."
    )
    areas: tuple[RegionCode, ...] = Field(
        min_length=1,
        description="Regions where the hits must happen; a region includes its cities and counties.",
    )
    purpose: Purpose = Field(description="The purpose the subscriber states for what it receives.")
    note: ShortText | None = Field(
        default=None, description="Why the subscription exists (e.g. a joint operation)."
    )

    def covers(self, category: Category, hit_region: str) -> bool:
        """True if a hit in ``hit_region`` on an entry of ``category`` falls under this subscription."""
        if not selects(self.categories, category):
            return False
        regions = registry()
        return any(regions.is_within(hit_region, area) for area in self.areas)

    @field_validator("categories")
    @classmethod
    def _categories(cls, categories: tuple[CategorySelector, ...]) -> tuple[CategorySelector, ...]:
        return _check_selectors(categories)

    @field_validator("areas")
    @classmethod
    def _areas_unique(cls, areas: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(areas)) != len(areas):
            raise ValueError("lists a region more than once")
        return areas
