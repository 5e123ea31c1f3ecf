"""Who an alert reaches: candidates from its scope, then each one decided against the zone's agreements.

Scope, most specific first, all of them together:

* explicit regions: ``target_regions`` and the CAP ``addresses`` that are region codes;
* areas as region codes: every ``geocode`` named GB/T 2260 (or ``xzqh``) of every info block reaches
  the members inside that area and the members that contain it;
* adjacency: an info ``parameter`` ``rax.scope`` = ``adjacent`` adds the sender's neighbours;
* the whole zone: when none of the above names anyone (or ``rax.scope`` = ``zone``).

Each candidate is then decided by ``schemas.disclosure.may_disclose`` (the one agreement rule, the
sender's region as owner): the sender's region always receives its alert; anyone else needs an
agreement; a refusal carries its reason, so that it can be audited.
"""

from __future__ import annotations

from datetime import datetime

from schemas.alerts import Alert
from schemas.disclosure import Disclosure, may_disclose
from schemas.regions import registry
from schemas.zone import Zone

__all__ = ["GEOCODE_NAMES", "SCOPE_PARAMETER", "candidates", "route"]

#: Geocode names whose value is a GB/T 2260 region code.
GEOCODE_NAMES = frozenset({"GB/T 2260", "GB/T2260", "GB2260", "xzqh"})
#: The info parameter that widens an alert to the sender's neighbours (``adjacent``) or the zone (``zone``).
SCOPE_PARAMETER = "rax.scope"


def _scope_words(alert: Alert) -> set[str]:
    return {p.value.strip().lower() for i in alert.info for p in i.parameters if p.name == SCOPE_PARAMETER}


def _area_codes(alert: Alert) -> set[str]:
    return {
        g.value.strip()
        for info in alert.info
        for area in info.areas
        for g in area.geocodes
        if g.name in GEOCODE_NAMES and g.value.strip() in registry()
    }


def candidates(zone: Zone, alert: Alert) -> set[str]:
    """Every region the alert's scope names (members or not), the sender's region included."""
    regions = registry()
    members = zone.codes
    found = set(alert.target_regions) | {a for a in alert.addresses if a in regions}
    for area in _area_codes(alert):
        found |= {m for m in members if regions.is_within(m, area) or regions.is_within(area, m)}
    words = _scope_words(alert)
    if "adjacent" in words:
        found |= zone.neighbours(alert.sender_region)
    if not found or "zone" in words:
        found |= members
    return found | {alert.sender_region}


def route(zone: Zone, alert: Alert, at: datetime) -> list[Disclosure]:
    """The decision for every candidate of ``alert``, sorted by region code."""
    owner, category = alert.sender_region, alert.category
    return [may_disclose(zone, owner, region, category, at) for region in sorted(candidates(zone, alert))]
