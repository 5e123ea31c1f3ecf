"""The zone's partial-pattern policy: specificity, province, categories, approval reference and quota."""

from __future__ import annotations

import pytest

from schemas.partial_policy import PartialPatternPolicy, known_characters, partial_refusal
from schemas.vocab import Category

POLICY = PartialPatternPolicy()


def refusal(
    pattern: str, category: Category = Category.FUGITIVE, active: int = 0, ref: str = "川公审[2024]1"
) -> str | None:
    return partial_refusal(pattern, category, ref, active, POLICY)


def test_an_exact_plate_is_not_governed() -> None:
    assert refusal("川A12345", Category.TRAFFIC_OFFENCE, active=10_000) is None


@pytest.mark.parametrize(
    ("pattern", "known"), [("川A?23*", 3), ("川AB?23*", 4), ("*345", 3), ("川?????", 0), ("渝B8*8", 3)]
)
def test_known_characters_do_not_count_the_province_or_wildcards(pattern: str, known: int) -> None:
    assert known_characters(pattern) == known


def test_a_suffix_pattern_without_province_is_refused() -> None:
    reason = refusal("*2345")
    assert reason is not None and "province" in reason


def test_a_pattern_with_too_few_known_characters_is_refused_with_the_count() -> None:
    reason = refusal("川A?23*")
    assert reason is not None and "fixes 3" in reason and "at least 4" in reason
    assert refusal("川A?234*") is None


def test_only_the_zones_categories_may_have_partial_entries() -> None:
    reason = refusal("川A?234*", Category.TRAFFIC_OFFENCE)
    assert reason is not None and "traffic_offence" in reason


def test_the_approval_reference_is_required() -> None:
    reason = refusal("川A?234*", ref="  ")
    assert reason is not None and "审批文号" in reason


def test_the_quota_counts_the_owners_other_active_partial_entries() -> None:
    assert refusal("川A?234*", active=POLICY.max_active_per_owner - 1) is None
    reason = refusal("川A?234*", active=POLICY.max_active_per_owner)
    assert reason is not None and "50" in reason


def test_a_zone_can_be_stricter_or_looser_within_bounds() -> None:
    strict = PartialPatternPolicy(min_known=5, max_active_per_owner=0, categories=())
    assert partial_refusal("川A?234*", Category.FUGITIVE, "r", 0, strict) is not None
    with pytest.raises(ValueError):
        PartialPatternPolicy(min_known=2)  # never below the wire model's own minimum of 3
