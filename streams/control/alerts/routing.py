"""Who an alert reaches: candidates from its scope, then each one decided against the zone's agreements.

Scope, most specific first, all of them together:

* explicit regions: ``target_regions`` and the CAP ``addresses`` that are region codes;
* areas as region codes: every ``geocode`` named GB/T 2260 (or ``xzqh``) of every info block reaches
  the members inside that area and the members that contain it;
* adjacency: an info ``parameter`` ``rax.scope`` = ``adjacent`` adds the sender's neighbours;
* the whole zone: when none of the above names anyone (or ``rax.scope`` = ``zone``).

The sender's own region always receives its alert (reason ``owner``). Anyone else needs an agreement
from the sender's region that is in force and selects the alert's category; otherwise the decision is
a refusal with the reason, so that it can be audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.alerts import Alert
from schemas.audit import AuditReason
from schemas.regions import registry
from schemas.vocab import Category
from schemas.zone import Zone

__all__ = ["GEOCODE_NAMES", "SCOPE_PARAMETER", "Decision", "candidates", "decide", "route"]

#: Geocode names whose value is a GB/T 2260 region code.
GEOCODE_NAMES = frozenset({"GB/T 2260", "GB/T2260", "GB2260", "xzqh"})
#: The info parameter that widens an alert to the sender's neighbours (``adjacent``) or the zone (``zone``).
SCOPE_PARAMETER = "rax.scope"


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether ``region`` receives the alert, and on which basis (or why not)."""

    region: str
    reason: AuditReason
    agreement_id: str | None = None
    purpose: str | None = None

    @property
    def disclosed(self) -> bool:
        return self.reason in (AuditReason.OWNER, AuditReason.AGREEMENT)


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


def decide(zone: Zone, owner: str, recipient: str, category: Category, at: datetime) -> Decision:
    """Whether ``owner`` may disclose data of ``category`` to ``recipient`` at ``at``, and on which basis."""
    if recipient == owner:
        return Decision(recipient, AuditReason.OWNER)
    agreements = sorted(zone.agreements_between(owner, recipient), key=lambda a: a.agreement_id)
    if not agreements:
        return Decision(recipient, AuditReason.NO_AGREEMENT)
    in_force = [a for a in agreements if a.is_valid_at(at)]
    if not in_force:
        return Decision(recipient, AuditReason.AGREEMENT_NOT_IN_FORCE)
    for agreement in in_force:
        if agreement.allows(category, at):
            return Decision(recipient, AuditReason.AGREEMENT, agreement.agreement_id, agreement.purposes[0])
    return Decision(recipient, AuditReason.CATEGORY_NOT_ALLOWED)


def route(zone: Zone, alert: Alert, at: datetime) -> list[Decision]:
    """The decision for every candidate of ``alert``, sorted by region code."""
    owner = alert.sender_region
    return [decide(zone, owner, region, alert.category, at) for region in sorted(candidates(zone, alert))]
