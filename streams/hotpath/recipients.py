"""Who receives a match, and why: the owner, the hit's region, subscribers — each under an agreement.

Pure logic over the zone: no Kafka. For one match of an entry owned by O, on a hit in region H:

* O always receives it (reason ``owner``): it is O's own entry;
* H (the region where the hit happened, 属地) and every region whose subscription covers the entry's
  category and H are candidates;
* a candidate other than O receives it only under an agreement from O to it that is in force and
  selects the category (reason ``agreement``); otherwise the decision is a refusal with the cause
  (``no_agreement``, ``agreement_not_in_force``, ``category_not_allowed``), which is audited too.

Of several agreements that allow it, the one with the smallest id is used, so the choice (and the
audit record) is the same on every worker and every replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.audit import AuditReason
from schemas.regions import registry
from schemas.sharing import Agreement, selects
from schemas.vocab import Category
from schemas.zone import Zone

__all__ = ["RecipientDecision", "decide_recipients", "in_scope"]


@dataclass(frozen=True, slots=True)
class RecipientDecision:
    """Whether one region receives one match, and why."""

    recipient: str
    disclosed: bool
    reason: AuditReason
    agreement: Agreement | None = None
    purpose: str | None = None


def in_scope(scope: tuple[str, ...], hit_region: str) -> bool:
    """True if an entry with ``scope`` (empty = the whole zone) applies to a hit in ``hit_region``.

    A county is within its city and province, so an entry scoped to 500000 applies in 500153.
    """
    if not scope:
        return True
    regions = registry()
    return any(regions.is_within(hit_region, area) for area in scope)


def _decide(
    zone: Zone, owner: str, recipient: str, category: Category, at: datetime, wanted_purpose: str | None
) -> RecipientDecision:
    agreements = sorted(zone.agreements_between(owner, recipient), key=lambda a: a.agreement_id)
    if not agreements:
        return RecipientDecision(recipient, False, AuditReason.NO_AGREEMENT)
    in_force = [a for a in agreements if a.is_valid_at(at)]
    if not in_force:
        return RecipientDecision(recipient, False, AuditReason.AGREEMENT_NOT_IN_FORCE, agreements[0])
    allowing = [a for a in in_force if selects(a.categories, category)]
    if not allowing:
        return RecipientDecision(recipient, False, AuditReason.CATEGORY_NOT_ALLOWED, in_force[0])
    agreement = allowing[0]
    purpose = wanted_purpose if wanted_purpose in agreement.purposes else agreement.purposes[0]
    return RecipientDecision(recipient, True, AuditReason.AGREEMENT, agreement, purpose)


def decide_recipients(
    zone: Zone, owner: str, category: Category, hit_region: str, at: datetime
) -> list[RecipientDecision]:
    """One decision per candidate region, the owner first, then the hit's region, then subscribers."""
    decisions = [RecipientDecision(owner, True, AuditReason.OWNER)]
    seen = {owner}
    candidates: list[tuple[str, str | None]] = [(hit_region, None)]
    candidates += [
        (s.region, s.purpose)
        for s in sorted(zone.subscriptions, key=lambda s: s.subscription_id)
        if s.covers(category, hit_region)
    ]
    for region, purpose in candidates:
        if region in seen or region not in zone.codes:
            continue
        seen.add(region)
        decisions.append(_decide(zone, owner, region, category, at, purpose))
    return decisions
