"""The one agreement rule: owner, refusals with their reason, the basis among several, purpose, redactions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.audit import AuditReason, ConsentSide, Decision
from schemas.disclosure import Disclosure, may_disclose, may_disclose_match
from schemas.sharing import RedactField
from schemas.vocab import Category
from schemas.zone import Zone
from tests.unit.models_factories import zone

OWNER, RECIPIENT = "510521", "500153"  # 泸县 → 荣昌
NOW = datetime(2025, 3, 1, tzinfo=UTC)


def agreement(agreement_id: str, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "agreement_id": agreement_id,
        "owner": OWNER,
        "recipient": RECIPIENT,
        "categories": ["stolen_vehicle"],
        "purposes": ["investigation"],
        "valid_from": "2024-01-01T00:00:00Z",
    }
    return data | over


def with_agreements(*agreements: dict[str, Any]) -> Zone:
    return zone(agreements=list(agreements))


def ask(z: Zone, category: Category = Category.STOLEN_VEHICLE, at: datetime = NOW, **kw: Any) -> Disclosure:
    return may_disclose(z, OWNER, RECIPIENT, category, at, **kw)


def test_the_owner_always_sees_its_own_data_whole() -> None:
    z = with_agreements()  # not even an agreement to anyone
    d = may_disclose(z, OWNER, OWNER, Category.TERRORISM, datetime(2000, 1, 1, tzinfo=UTC), "anything")
    assert d == Disclosure(OWNER, AuditReason.OWNER)
    assert d.disclosed and d.decision == Decision.DISCLOSED
    assert (d.agreement_id, d.purpose, d.redact) == (None, None, ())


def test_no_agreement_from_the_owner_to_the_recipient_is_a_refusal() -> None:
    z = with_agreements(agreement("reverse", owner=RECIPIENT, recipient=OWNER))  # the other direction
    d = ask(z)
    assert d == Disclosure(RECIPIENT, AuditReason.NO_AGREEMENT)
    assert not d.disclosed and d.decision == Decision.REFUSED


def test_an_agreement_that_does_not_select_the_category_is_a_refusal() -> None:
    d = ask(with_agreements(agreement("a", categories=["fugitive"])), Category.DRUGS)
    assert d == Disclosure(RECIPIENT, AuditReason.CATEGORY_NOT_ALLOWED)


def test_every_category_under_a_star_agreement() -> None:
    d = ask(with_agreements(agreement("a", categories=["*"])), Category.TERRORISM)
    assert d.reason == AuditReason.AGREEMENT and d.agreement_id == "a"


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        (datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC), AuditReason.AGREEMENT_NOT_IN_FORCE),  # before
        (datetime(2024, 1, 1, tzinfo=UTC), AuditReason.AGREEMENT),  # from valid_from, inclusive
        (datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC), AuditReason.AGREEMENT),
        (
            datetime(2025, 1, 1, tzinfo=UTC),
            AuditReason.AGREEMENT_NOT_IN_FORCE,
        ),  # until valid_until, exclusive
    ],
)
def test_an_agreement_only_while_in_force(at: datetime, reason: AuditReason) -> None:
    z = with_agreements(agreement("a", valid_until="2025-01-01T00:00:00Z"))
    d = ask(z, at=at)
    assert d.reason == reason
    assert d.agreement_id == "a"  # the basis, or the agreement a person would renew


def test_not_in_force_names_the_agreement_that_covers_the_category_not_another() -> None:
    z = with_agreements(
        agreement("a-terror", categories=["terrorism"]),  # in force, wrong category
        agreement("b-stolen", valid_until="2024-06-01T00:00:00Z"),  # right category, expired
    )
    d = ask(z)
    assert (d.reason, d.agreement_id) == (AuditReason.AGREEMENT_NOT_IN_FORCE, "b-stolen")
    assert (d.purpose, d.redact) == (None, ())


def test_of_several_agreements_that_allow_it_the_smallest_id_is_the_basis() -> None:
    z = with_agreements(
        agreement("c", purposes=["interception"]),
        agreement("a", valid_until="2024-06-01T00:00:00Z"),  # smallest, but expired
        agreement("b", redact=["image_ref"]),
        agreement("aa", categories=["fugitive"]),  # smaller, but not this category
    )
    d = ask(z)
    assert (d.reason, d.agreement_id, d.redact) == (AuditReason.AGREEMENT, "b", (RedactField.IMAGE_REF,))
    assert ask(z) == d  # deterministic: the same answer on every worker and replay


def test_the_purpose_asked_for_if_the_agreement_lists_it_else_its_first() -> None:
    z = with_agreements(agreement("a", purposes=["investigation", "interception"]))
    assert ask(z, purpose="interception").purpose == "interception"
    assert ask(z, purpose="surveillance").purpose == "investigation"
    assert ask(z).purpose == "investigation"


def test_the_agreement_redactions_come_with_a_disclosure_and_nothing_with_a_refusal() -> None:
    z = with_agreements(agreement("a", categories=["stolen_vehicle"], redact=["image_ref", "speed_kmh"]))
    assert ask(z).redact == (RedactField.IMAGE_REF, RedactField.SPEED_KMH)
    assert ask(z, Category.FUGITIVE).redact == ()


# ---- two-sided consent: a match joins the owner's entry and the read region's read -------------------
READER = "500000"  # 重庆: its camera made the read


def match(z: Zone, recipient: str, category: Category = Category.STOLEN_VEHICLE) -> Disclosure:
    return may_disclose_match(z, OWNER, READER, recipient, category, NOW)


def test_a_match_needs_the_entry_owners_and_the_read_regions_consent() -> None:
    entry_side = agreement("e", redact=["image_ref"])
    read_side = agreement("r", owner=READER, purposes=["interception"], redact=["speed_kmh"])
    d = match(with_agreements(entry_side, read_side), RECIPIENT)
    assert d.disclosed and d.reason == AuditReason.AGREEMENT
    assert (d.agreement_id, d.read_agreement_id, d.purpose) == ("e", "r", "investigation")
    assert set(d.redact) == {RedactField.IMAGE_REF, RedactField.SPEED_KMH}  # both sides' redactions

    no_read = match(with_agreements(entry_side), RECIPIENT)
    assert not no_read.disclosed and no_read.refused_by == ConsentSide.READ
    assert no_read.reason == AuditReason.NO_AGREEMENT

    no_entry = match(with_agreements(read_side), RECIPIENT)
    assert not no_entry.disclosed and no_entry.refused_by == ConsentSide.ENTRY


def test_the_owner_needs_the_read_regions_consent_and_the_reader_the_owners() -> None:
    to_owner = agreement("r-o", owner=READER, recipient=OWNER)
    owner = match(with_agreements(to_owner), OWNER)
    assert owner.disclosed and owner.agreement_id is None and owner.read_agreement_id == "r-o"
    assert match(with_agreements(), OWNER).refused_by == ConsentSide.READ
    reader = match(with_agreements(agreement("o-r", recipient=READER)), READER)
    assert reader.disclosed and reader.agreement_id == "o-r" and reader.read_agreement_id is None
    assert match(with_agreements(), READER).refused_by == ConsentSide.ENTRY


def test_a_read_in_the_owners_own_region_is_the_owners_alone() -> None:
    d = may_disclose_match(with_agreements(), OWNER, OWNER, OWNER, Category.TERRORISM, NOW)
    assert d == Disclosure(OWNER, AuditReason.OWNER)


def test_a_read_side_agreement_out_of_force_is_named_as_the_read_agreement() -> None:
    entry_side = agreement("e")
    expired = agreement("r", owner=READER, valid_until="2025-01-01T00:00:00Z")
    d = match(with_agreements(entry_side, expired), RECIPIENT)
    assert d.reason == AuditReason.AGREEMENT_NOT_IN_FORCE and d.refused_by == ConsentSide.READ
    assert d.read_agreement_id == "r" and d.agreement_id is None
