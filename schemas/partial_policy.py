"""Partial plate patterns as a governed power: how specific, in which categories, how many per owner.

A witness's partial plate (``川A?23*``) matches many vehicles: a pattern of three known characters
(``*345``) matches about one read in a thousand, so a region with no agreements at all could place tens
of thousands of suffix patterns and learn nearly every read of the zone. The zone therefore says, in its
file (``partial_patterns``), how specific a pattern must be, in which categories one may be placed, and
how many active ones an owner may hold; the control app refuses a placement that breaks the policy with
the reason (``partial_refusal``), and always asks for the approval's reference (审批文号).
"""

from __future__ import annotations

from pydantic import Field

from schemas.base import WirePart
from schemas.plate_pattern import WILDCARDS, is_partial
from schemas.vocab import Category

__all__ = ["PartialPatternPolicy", "known_characters", "partial_refusal"]


class PartialPatternPolicy(WirePart):
    """The zone's rules for partial (wildcard) plate patterns in watchlist entries."""

    min_known: int = Field(
        default=4,
        ge=3,
        le=8,
        description="Known characters a pattern must fix besides its province character "
        "(? and * do not count).",
    )
    require_province: bool = Field(
        default=True, description="The pattern must start with its province character (川…, not *345)."
    )
    max_active_per_owner: int = Field(
        default=50, ge=0, description="Active partial entries an owner region may hold at once."
    )
    categories: tuple[Category, ...] = Field(
        default=(Category.FUGITIVE, Category.WANTED_PERSON_VEHICLE, Category.STOLEN_VEHICLE),
        description="The categories a partial entry may be placed in (a witness's partial plate of a "
        "fugitive's or a stolen vehicle; not a traffic offence).",
    )


def _is_province(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def known_characters(pattern: str) -> int:
    """Characters a pattern fixes besides a leading province character."""
    body = pattern[1:] if pattern and _is_province(pattern[0]) else pattern
    return sum(ch not in WILDCARDS for ch in body)


def partial_refusal(
    pattern: str,
    category: Category,
    approval_reference: str,
    active_of_owner: int,
    policy: PartialPatternPolicy,
) -> str | None:
    """Why the zone refuses this placement of a partial pattern (``None``: allowed, or not partial).

    ``active_of_owner``: the owner's active partial entries besides this one (a replacement of an
    entry that is already partial is not counted twice by the caller).
    """
    if not is_partial(pattern):
        return None
    if policy.require_province and not _is_province(pattern[0]):
        return f"partial plate {pattern!r} must start with its province character (zone partial_patterns)"
    known = known_characters(pattern)
    if known < policy.min_known:
        return (
            f"partial plate {pattern!r} fixes {known} characters besides the province; "
            f"the zone asks for at least {policy.min_known}"
        )
    if category not in policy.categories:
        allowed = ", ".join(c.value for c in policy.categories) or "none"
        return f"partial plates are not allowed for {category.value} in this zone (allowed: {allowed})"
    if not approval_reference.strip():
        return "a partial plate needs the approval's reference (审批文号)"
    if active_of_owner >= policy.max_active_per_owner:
        return (
            f"the owner already holds {active_of_owner} active partial entries: "
            f"the zone allows {policy.max_active_per_owner}"
        )
    return None
