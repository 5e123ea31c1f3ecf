"""The demo's special operations (常态→专项): the reads that open them, from a zone's escalation rules.

Once the hot path holds every placement (a few seconds in: ``ops.demo.script``), the demo publishes
scenarios as the regions' checkpoints would, each only where the zone's ``escalation`` block has its
rule and the checkpoints it needs:

* the crossing (``multi_region`` or ``border``): a vehicle one region has watchlisted (urgent) read at
  one of its checkpoints and, hours later (or within the rule's window), at another region's — a
  border checkpoint where the zone declares them;
* the clone (``cloned_plate``): a plate nobody watchlisted driven by two cars, each read at two sited
  checkpoints of its region, the two regions too far apart for the minutes between the reads;
* the convoy (``convoy``): two watchlisted vehicles (high priority) passing three (``min_checkpoints``)
  checkpoints of one region seconds apart.

In 川渝 (whose zone file has no block) the demo applies ``DEMO_RULES``: 四川's vehicle read in 成都 and
four hours later in 重庆 (``multi_region``), a plate read twice in 成都 while its twin is read twice in
重庆, ~350 km by road, minutes apart (``cloned_plate``), and two vehicles of 四川 and 重庆 through three
成都 checkpoints (``convoy``). There the simulators' checkpoints are not sited, so their traffic opens no
cloned-plate operation; its urgent watchlisted vehicles, driving through four regions, open
``multi_region`` operations too, as they would in a real zone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations

from ops.demo.samples import unit_of
from schemas.base import stable_event_id
from schemas.escalation import (
    CheckpointSite,
    ClonedPlateRule,
    ConvoyRule,
    EscalationRules,
    MultiRegionRule,
)
from schemas.hits import CheckpointHit
from schemas.plates.rules import PROVINCES
from schemas.regions import registry
from schemas.vocab import Action, Category, Priority
from schemas.watchlist import Approval, PlaceCommand, WatchlistEntry
from streams.escalate.geo import road_km

__all__ = ["DEMO_RULES", "Scenarios", "scenario_plate", "scenarios"]

_CD, _CD2, _CD3 = "510000-DEMO-CD", "510000-DEMO-CD2", "510000-DEMO-CD3"
_CQ, _CQ2 = "500000-DEMO-CQ", "500000-DEMO-CQ2"

#: the 川渝 demo's rules, applied to a 川渝 zone file that declares none
DEMO_RULES = EscalationRules(
    multi_region=MultiRegionRule(min_regions=2, window_s=6 * 3600, priorities=(Priority.URGENT,)),
    cloned_plate=ClonedPlateRule(max_speed_kmh=200, road_factor=1.3, min_distance_km=20),
    convoy=ConvoyRule(gap_s=10, min_checkpoints=3, window_s=3600),
    checkpoints=(
        CheckpointSite(checkpoint_id=_CD, lat=30.66, lon=104.07),
        CheckpointSite(checkpoint_id=_CD2, lat=30.70, lon=104.10),
        CheckpointSite(checkpoint_id=_CD3, lat=30.62, lon=104.02),
        CheckpointSite(checkpoint_id=_CQ, lat=29.56, lon=106.55),
        CheckpointSite(checkpoint_id=_CQ2, lat=29.60, lon=106.50),
    ),
)

#: the scenarios' plates, by the mark's letters and digit: crossing 川A8D888, clone 渝B6C666, convoy
#: 川A7E777 and 渝A5F555 (Hong Kong AD8888 …, Macau MD-88-88 …)
_MARKS = {
    "crossing": ("A", "D", 8),
    "clone": ("B", "C", 6),
    "convoy": ("A", "E", 7),
    "convoy2": ("A", "F", 5),
}
_CHARACTERS = {f"{code}0000": char for char, code in PROVINCES.items()}
_STEP_S = 300  # the clone's reads: a vehicle every five minutes


def scenario_plate(scenario: str, region: str) -> tuple[str, str]:
    """(plate, colour) of a scenario's vehicle registered in ``region``: a mark no simulator draws."""
    a, b, d = _MARKS[scenario]
    province = registry().province_of(region)
    if province == "810000":
        return f"{a}{b}{d}{d}{d}{d}", "yellow"
    if province == "820000":
        return f"M{b}-{d}{d}-{d}{d}", "black"
    return f"{_CHARACTERS.get(province, '川')}{a}{d}{b}{d}{d}{d}", "blue"


@dataclass(frozen=True)
class Scenarios:
    """The entries the scenarios need, and their reads (made relative to the time they are sent)."""

    placements: list[PlaceCommand]
    reads: Callable[[datetime], list[tuple[str, CheckpointHit]]]
    names: tuple[str, ...]  # the scenarios included, e.g. ("crossing", "clone")


def scenarios(rules: EscalationRules | None, region_of: Mapping[str, str], members: list[str]) -> Scenarios:
    """The scenarios ``rules`` can open. ``region_of``: checkpoint id -> the member region it belongs
    to (checkpoints of no member are left out); ``members``: the zone's regions in file order."""
    parts: list[tuple[str, list[PlaceCommand], _Reads]] = []
    if rules is not None:
        for name, build in (("crossing", _crossing), ("clone", _clone), ("convoy", _convoy)):
            found = build(rules, region_of, members)
            if found is not None:
                parts.append((name, *found))

    def reads(now: datetime) -> list[tuple[str, CheckpointHit]]:
        return [read for _, _, make in parts for read in make(now)]

    return Scenarios([p for _, ps, _ in parts for p in ps], reads, tuple(name for name, _, _ in parts))


_Reads = Callable[[datetime], list[tuple[str, CheckpointHit]]]
_Found = tuple[list[PlaceCommand], _Reads] | None


def _crossing(rules: EscalationRules, region_of: Mapping[str, str], members: list[str]) -> _Found:
    if rules.multi_region is None and rules.border is None:
        return None
    ids = [s.checkpoint_id for s in rules.checkpoints] + list(
        rules.border.checkpoints if rules.border else ()
    )
    known = [c for c in dict.fromkeys(ids) if c in region_of]
    if not known:
        return None
    first = known[0]
    owner = region_of[first]
    border = set(rules.border.checkpoints) if rules.border else set(known)
    province = registry().province_of
    later = [c for c in known if region_of[c] != owner and c in border]  # across a border if there is one
    then = next((c for c in later if province(region_of[c]) != province(owner)), later[0] if later else None)
    if then is None:
        return None
    window = rules.multi_region.window_s if rules.multi_region else 6 * 3600.0
    gap = timedelta(seconds=min(4 * 3600.0, window * 2 / 3))
    plate, colour = scenario_plate("crossing", owner)

    def reads(now: datetime) -> list[tuple[str, CheckpointHit]]:
        return [
            _read(owner, first, plate, colour, now - gap),
            _read(region_of[then], then, plate, colour, now - timedelta(seconds=5)),
        ]

    return [_placement(owner, plate, colour, Priority.URGENT)], reads


def _clone(rules: EscalationRules, region_of: Mapping[str, str], members: list[str]) -> _Found:
    rule = rules.cloned_plate
    if rule is None:
        return None
    by_region: dict[str, list[CheckpointSite]] = {}
    for site in rules.checkpoints:
        if site.checkpoint_id in region_of:
            by_region.setdefault(region_of[site.checkpoint_id], []).append(site)
    order = {code: i for i, code in enumerate(members)}
    regions = sorted(by_region, key=lambda r: order.get(r, len(order)))
    chosen = next(
        (
            (list(pa), list(pb))
            for ra, rb in combinations(regions, 2)
            for pa in combinations(by_region[ra], 2)
            for pb in combinations(by_region[rb], 2)
            if _clone_possible(list(pa), list(pb), rule)
        ),
        None,
    )  # the first pair of regions, in the zone's order, whose sites make the timeline impossible
    if chosen is None:
        return None
    (a1, a2), (b1, b2) = chosen
    plate, colour = scenario_plate("clone", region_of[b1.checkpoint_id])
    steps = ((a1, 4), (b1, 3), (a2, 2))

    def reads(now: datetime) -> list[tuple[str, CheckpointHit]]:
        out = [
            _read(
                region_of[s.checkpoint_id],
                s.checkpoint_id,
                plate,
                colour,
                now - timedelta(seconds=_STEP_S * k),
            )
            for s, k in steps
        ]
        return [
            *out,
            _read(region_of[b2.checkpoint_id], b2.checkpoint_id, plate, colour, now - timedelta(seconds=5)),
        ]

    return [], reads


def _clone_possible(pa: list[CheckpointSite], pb: list[CheckpointSite], rule: ClonedPlateRule) -> bool:
    """Whether the timeline (a1, b1, a2, b2 at steps 4, 3, 2, 0) is impossible across the two pairs
    (with a margin) and plausible within each: two vehicles, each corroborated at two checkpoints."""
    times = {id(pa[0]): 4 * _STEP_S, id(pb[0]): 3 * _STEP_S, id(pa[1]): 2 * _STEP_S, id(pb[1]): 5}

    def speed(x: CheckpointSite, y: CheckpointSite) -> float:
        return road_km(x, y, rule.road_factor) / (abs(times[id(x)] - times[id(y)]) / 3600)

    for x, y in (pa, pb):  # one vehicle: too close to compare, or a plausible drive
        if road_km(x, y, rule.road_factor) >= rule.min_distance_km and speed(x, y) > rule.max_speed_kmh:
            return False
    return all(
        road_km(x, y, rule.road_factor) >= rule.min_distance_km and speed(x, y) > rule.max_speed_kmh * 1.2
        for x in pa
        for y in pb
    )


def _convoy(rules: EscalationRules, region_of: Mapping[str, str], members: list[str]) -> _Found:
    rule = rules.convoy
    if rule is None:
        return None
    by_region: dict[str, list[str]] = {}
    for site in rules.checkpoints:
        if site.checkpoint_id in region_of:
            by_region.setdefault(region_of[site.checkpoint_id], []).append(site.checkpoint_id)
    region = next((r for r in members if len(by_region.get(r, ())) >= rule.min_checkpoints), None)
    other = next((r for r in members if r != region and r in by_region), None)
    if region is None or other is None:
        return None
    priority = Priority.HIGH if Priority.HIGH in rule.priorities else rule.priorities[0]
    vehicles = [(region, *scenario_plate("convoy", region)), (other, *scenario_plate("convoy2", other))]
    checkpoints = by_region[region][: rule.min_checkpoints]
    gap = min(4.0, rule.gap_s / 2)
    spacing = min(600.0, rule.window_s / (2 * len(checkpoints)))

    def reads(now: datetime) -> list[tuple[str, CheckpointHit]]:
        return [
            _read(region, checkpoint, plate, colour,
                  now - timedelta(seconds=spacing * (len(checkpoints) - i) - gap * j))
            for i, checkpoint in enumerate(checkpoints)
            for j, (_, plate, colour) in enumerate(vehicles)
        ]  # fmt: skip

    return [_placement(owner, plate, colour, priority) for owner, plate, colour in vehicles], reads


def _placement(owner: str, plate: str, colour: str, priority: Priority) -> PlaceCommand:
    now = datetime.now(UTC).replace(microsecond=0)
    entry_id = stable_event_id("demo-entry", owner, plate)
    entry = WatchlistEntry(
        entry_id=entry_id,
        owner=owner,
        operator=f"{owner}-0001",
        approval=Approval(
            unit=unit_of(owner),
            approver="审批人 10001",
            approved_at=now - timedelta(hours=2),
            reference=f"布控[{now.year}]9001号",
        ),
        category=Category.STOLEN_VEHICLE,
        action=Action.INTERCEPT,
        priority=priority,
        plate=plate,
        plate_colour=colour,
        legal_basis="刑事诉讼法 第一百五十条",
        placed_at=now - timedelta(hours=1),
        expires_at=now + timedelta(days=30),
    )
    return PlaceCommand(command_id=stable_event_id("demo-place", entry_id), issued_at=now, entry=entry)


def _read(region: str, checkpoint: str, plate: str, colour: str, at: datetime) -> tuple[str, CheckpointHit]:
    hit = CheckpointHit(
        event_id=stable_event_id("demo-read", checkpoint, plate, at.isoformat()),
        checkpoint_id=checkpoint,
        region=region,
        plate=plate,
        plate_colour=colour,
        pass_time=at,
        confidence=0.97,
        source="rax-demo",
    )
    return region, hit
