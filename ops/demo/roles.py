"""Who plays what in the demo, chosen from the zone alone: simulators, consoles, the request's parties.

Pure: no Kafka, no processes. The choices, each reproducing the 川渝 demo of before:

* **simulators**: the members whose checkpoints the zone file lists, each reading them; a zone that
  lists none (川渝) has its provinces simulated and the two console regions, on the simulator's own
  generated border checkpoints;
* **consoles**: two members with agreements both ways, preferring members with checkpoints, then
  county- or city-level members (where the joint offices are), then neighbours, then the widest
  agreements (categories allowed both ways), then the zone file's order: 泸县 and 荣昌 in 川渝;
* **the cooperation request** (协查, locate a fugitive's vehicle, for interception): one console region
  asks the other, which answers, and a third member, which declines — each recipient allowed by the
  request consent rule both ways (streams/control/requests/consent.py); the third is the partner's
  province where it may be asked. Ties go to the requester with the higher code (泸县 asks 荣昌 and 重庆);
* **watchlist owners**: every member; each draws its sample plates from the simulated regions whose
  reads it may see (its own, or an agreement to it), so its entries are read and their matches reach it;
* **scenario checkpoints**: a checkpoint belongs to the member that lists it, or whose code it starts
  with (``510000-DEMO-CD``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import combinations

from schemas.regions import registry
from schemas.vocab import Category
from schemas.zone import Zone
from streams.control.requests.consent import request_consent

__all__ = ["DemoRoles", "RequestRoles", "demo_roles", "zone_label"]

#: the request the demo sends: a fugitive's vehicle to locate, for interception
REQUEST_CATEGORY, REQUEST_PURPOSE = Category.FUGITIVE, "interception"
#: display names of the example zones (a zone file's ``name`` is an identifier)
_LABELS = {"chuanyu": "川渝", "yuegangao": "粤港澳"}


@dataclass(frozen=True)
class RequestRoles:
    """The cooperation request's parties: who asks, who answers, who declines (if anyone may)."""

    requester: str
    partner: str
    declining: str | None


@dataclass(frozen=True)
class DemoRoles:
    """Everything the demo takes from the zone; see the module doc for how each is chosen."""

    simulated: tuple[str, ...]
    checkpoints: dict[str, tuple[str, ...]]  # simulated region -> its listed checkpoints (may be empty)
    consoles: tuple[str, str]
    request: RequestRoles | None
    owners: tuple[str, ...]
    sources: dict[str, tuple[str, ...]]  # owner -> simulated regions its sample plates come from
    region_of: dict[str, str]  # checkpoint id -> member region, for the scenarios
    names: dict[str, str]  # member -> display name


def zone_label(zone: Zone) -> str:
    """How the demo names the zone: 川渝 for ``chuanyu``, else the zone's name."""
    return _LABELS.get(zone.name, zone.name)


def _is_province(code: str) -> bool:
    return registry().province_of(code) == code


def _breadth(zone: Zone, owner: str, recipient: str) -> int:
    widest = 0
    for a in zone.agreements_between(owner, recipient):
        widest = max(widest, len(Category) if "*" in a.categories else len(a.categories))
    return widest


def _console_pair(zone: Zone) -> tuple[str, str]:
    codes = [r.code for r in zone.regions]
    listed = {r.code for r in zone.regions if r.checkpoints}
    both_ways = [
        (a, b)
        for a, b in combinations(codes, 2)
        if zone.agreements_between(a, b) and zone.agreements_between(b, a)
    ]
    if not both_ways:
        raise ValueError(f"zone {zone.name}: no two members have agreements both ways, the demo needs two")

    def score(pair: tuple[str, str]) -> tuple[int, int, bool, int]:
        a, b = pair
        return (
            sum(c in listed for c in pair),
            sum(not _is_province(c) for c in pair),
            b in zone.neighbours(a),
            min(_breadth(zone, a, b), _breadth(zone, b, a)),
        )

    return max(both_ways, key=score)  # max keeps the first of equals: the zone file's order


def _request(zone: Zone, pair: tuple[str, str], at: datetime) -> RequestRoles | None:
    codes = [r.code for r in zone.regions]

    def allowed(requester: str, recipient: str) -> bool:
        return request_consent(zone, requester, recipient, REQUEST_CATEGORY, REQUEST_PURPOSE, at).allowed

    def roles(requester: str, partner: str) -> RequestRoles:
        province = registry().province_of(partner)
        others = [province, *(c for c in codes if c != province)]
        declining = next(
            (c for c in others if c in codes and c not in (requester, partner) and allowed(requester, c)),
            None,
        )
        return RequestRoles(requester, partner, declining)

    ordered = [pair, pair[::-1]] + [(a, b) for a in codes for b in codes if a != b]
    candidates = [roles(a, b) for a, b in ordered if allowed(a, b)]
    if not candidates:
        return None
    near = [c for c in candidates if {c.requester, c.partner} == set(pair)] or candidates
    return max(near, key=lambda c: (c.declining is not None, c.requester))


def _region_of(zone: Zone) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in zone.regions:
        out.update(dict.fromkeys(r.checkpoints, r.code))
    if zone.escalation is not None:
        ids = [s.checkpoint_id for s in zone.escalation.checkpoints]
        ids += list(zone.escalation.border.checkpoints if zone.escalation.border else ())
        for cid in ids:
            if cid not in out and cid[:6] in zone.codes:
                out[cid] = cid[:6]
    return out


def demo_roles(zone: Zone, at: datetime) -> DemoRoles:
    """The demo's roles in ``zone`` (agreements judged as in force at ``at``)."""
    codes = [r.code for r in zone.regions]
    pair = _console_pair(zone)
    request = _request(zone, pair, at)
    if request is not None and {request.requester, request.partner} == set(pair):
        pair = (request.requester, request.partner)
    listed = {r.code: r.checkpoints for r in zone.regions if r.checkpoints}
    if listed:
        simulated = tuple(c for c in codes if c in listed)
    else:
        simulated = tuple(c for c in codes if _is_province(c) or c in pair)
    sources = {}
    for owner in sorted(codes):
        seen = tuple(s for s in simulated if s == owner or zone.agreements_between(s, owner))
        sources[owner] = seen or simulated
    names = {r.code: r.name or registry().name(r.code) for r in zone.regions}
    return DemoRoles(
        simulated=simulated,
        checkpoints={c: listed.get(c, ()) for c in simulated},
        consoles=pair,
        request=request,
        owners=tuple(sorted(codes)),
        sources=sources,
        region_of=_region_of(zone),
        names=names,
    )
