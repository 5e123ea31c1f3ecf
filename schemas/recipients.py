"""Who receives a match, and why: the owner, the hit's region, subscribers — each under an agreement.

Pure logic over the zone: no Kafka. For one match of an entry owned by O, on a hit in region H:

* O (whose entry it is), H (the region where the hit happened, 属地) and every region whose
  subscription covers the entry's category and H are candidates;
* each candidate is decided by ``schemas.disclosure.may_disclose_match`` (the one agreement rule, with
  both sides' consent: O's for the entry, H's for the read), with the subscription's purpose as the
  purpose asked for; refusals are audited too, naming the side that refused.
"""

from __future__ import annotations

from datetime import datetime

from schemas.disclosure import Disclosure, may_disclose_match
from schemas.regions import registry
from schemas.vocab import Category
from schemas.zone import Zone

__all__ = ["decide_recipients", "in_scope"]


def in_scope(scope: tuple[str, ...], hit_region: str) -> bool:
    """True if an entry with ``scope`` (empty = the whole zone) applies to a hit in ``hit_region``.

    A county is within its city and province, so an entry scoped to 500000 applies in 500153.
    """
    if not scope:
        return True
    regions = registry()
    return any(regions.is_within(hit_region, area) for area in scope)


def decide_recipients(
    zone: Zone, owner: str, category: Category, hit_region: str, at: datetime
) -> list[Disclosure]:
    """One decision per candidate region, the owner first, then the hit's region, then subscribers."""
    decisions = [may_disclose_match(zone, owner, hit_region, owner, category, at)]
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
        decisions.append(may_disclose_match(zone, owner, hit_region, region, category, at, purpose))
    return decisions
