"""The demo's special operations (常态→专项): escalation rules for the 川渝 zone and the reads that open two.

The demo applies the example zone with these rules and, a few seconds in, publishes three scenarios as
the regions' checkpoints would: a vehicle 四川 has watchlisted read in 成都 and four hours later in 重庆
(matched in two regions: a ``multi_region`` operation); a plate nobody watchlisted driven by two cars,
one read at two checkpoints in 成都 while the other is read at two in 重庆 (~350 km by road, minutes
apart: a corroborated ``cloned_plate`` operation); and two vehicles watchlisted by 四川 and 重庆 passing
three 成都 checkpoints seconds apart (a ``convoy`` operation). The scenario checkpoints are sited in the
rules; the simulators' are not, so their traffic opens no cloned-plate operation, but the simulated
fleet drives through four regions, so its urgent watchlisted vehicles open ``multi_region`` operations
too, as they would in a real zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.base import stable_event_id
from schemas.escalation import (
    CheckpointSite,
    ClonedPlateRule,
    ConvoyRule,
    EscalationRules,
    MultiRegionRule,
)
from schemas.hits import CheckpointHit
from schemas.vocab import Action, Category, Priority
from schemas.watchlist import Approval, PlaceCommand, WatchlistEntry

__all__ = ["CHENGDU", "CHONGQING", "DEMO_RULES", "crossing_placement", "demo_placements", "scenario_reads"]

CHENGDU = "510000-DEMO-CD"
CHENGDU_2 = "510000-DEMO-CD2"
CHENGDU_3 = "510000-DEMO-CD3"
CHONGQING = "500000-DEMO-CQ"
CHONGQING_2 = "500000-DEMO-CQ2"

DEMO_RULES = EscalationRules(
    multi_region=MultiRegionRule(min_regions=2, window_s=6 * 3600, priorities=(Priority.URGENT,)),
    cloned_plate=ClonedPlateRule(max_speed_kmh=200, road_factor=1.3, min_distance_km=20),
    convoy=ConvoyRule(gap_s=10, min_checkpoints=3, window_s=3600),
    checkpoints=(
        CheckpointSite(checkpoint_id=CHENGDU, lat=30.66, lon=104.07),
        CheckpointSite(checkpoint_id=CHENGDU_2, lat=30.70, lon=104.10),
        CheckpointSite(checkpoint_id=CHENGDU_3, lat=30.62, lon=104.02),
        CheckpointSite(checkpoint_id=CHONGQING, lat=29.56, lon=106.55),
        CheckpointSite(checkpoint_id=CHONGQING_2, lat=29.60, lon=106.50),
    ),
)

#: watchlisted by 四川 (stolen): read in 成都, then in 重庆 at a plausible speed
CROSSING_PLATE = "川A8D888"
#: watchlisted by nobody: read in 成都 and in 重庆 at an impossible speed
CLONED_PLATE = "渝B6C666"
#: watchlisted by 四川 and by 重庆 (high priority): travelling together through 成都
CONVOY = (("510000", "川A7E777"), ("500000", "渝A5F555"))


def demo_placements() -> list[PlaceCommand]:
    """The entries the scenarios need: the crossing vehicle's, and the two convoy vehicles'."""
    return [crossing_placement(), *(_placement(owner, plate, Priority.HIGH) for owner, plate in CONVOY)]


def crossing_placement() -> PlaceCommand:
    """四川's entry on the crossing vehicle: stolen, urgent, intercept."""
    return _placement("510000", CROSSING_PLATE, Priority.URGENT)


def _placement(owner: str, plate: str, priority: Priority) -> PlaceCommand:
    now = datetime.now(UTC).replace(microsecond=0)
    entry_id = stable_event_id("demo-entry", owner, plate)
    entry = WatchlistEntry(
        entry_id=entry_id,
        owner=owner,
        operator=f"{owner}-0001",
        approval=Approval(
            unit="四川省公安厅" if owner == "510000" else "重庆市公安局",
            approver="审批人 10001",
            approved_at=now - timedelta(hours=2),
            reference=f"布控[{now.year}]9001号",
        ),
        category=Category.STOLEN_VEHICLE,
        action=Action.INTERCEPT,
        priority=priority,
        plate=plate,
        plate_colour="blue",
        legal_basis="刑事诉讼法 第一百五十条",
        placed_at=now - timedelta(hours=1),
        expires_at=now + timedelta(days=30),
    )
    return PlaceCommand(command_id=stable_event_id("demo-place", entry_id), issued_at=now, entry=entry)


def _read(region: str, checkpoint: str, plate: str, at: datetime) -> tuple[str, CheckpointHit]:
    hit = CheckpointHit(
        event_id=stable_event_id("demo-read", checkpoint, plate, at.isoformat()),
        checkpoint_id=checkpoint,
        region=region,
        plate=plate,
        plate_colour="blue",
        pass_time=at,
        confidence=0.97,
        source="rax-demo",
    )
    return region, hit


def scenario_reads(now: datetime | None = None) -> list[tuple[str, CheckpointHit]]:
    """The reads of the three scenarios, as (the region whose checkpoint made it, the hit)."""
    now = now or datetime.now(UTC)
    convoy = [
        _read("510000", checkpoint, plate, now - timedelta(minutes=30 - 10 * i, seconds=-4 * j))
        for i, checkpoint in enumerate((CHENGDU, CHENGDU_2, CHENGDU_3))
        for j, (_, plate) in enumerate(CONVOY)
    ]
    return [
        _read("510000", CHENGDU, CROSSING_PLATE, now - timedelta(hours=4)),
        _read("500000", CHONGQING, CROSSING_PLATE, now - timedelta(seconds=5)),
        _read("510000", CHENGDU, CLONED_PLATE, now - timedelta(minutes=20)),
        _read("500000", CHONGQING, CLONED_PLATE, now - timedelta(minutes=15)),
        _read("510000", CHENGDU_2, CLONED_PLATE, now - timedelta(minutes=10)),
        _read("500000", CHONGQING_2, CLONED_PLATE, now - timedelta(seconds=5)),
        *convoy,
    ]
