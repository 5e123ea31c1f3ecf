"""The demo's sample data: watchlist placements on plates the simulators' fleet drives, and CAP alerts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from connectors.simulator.plates import vehicles
from schemas.alerts import Alert
from schemas.base import stable_event_id
from schemas.vocab import Action, Category, Priority
from schemas.watchlist import Approval, PlaceCommand, WatchlistEntry

__all__ = ["sample_alert", "sample_placements"]

_CATEGORIES = (
    Category.STOLEN_VEHICLE,
    Category.FUGITIVE,
    Category.WANTED_PERSON_VEHICLE,
    Category.DRUGS,
    Category.MISSING_PERSON,
    Category.CLONED_PLATE,
)
_UNITS = {
    "510000": "四川省公安厅",
    "500000": "重庆市公安局",
    "500153": "荣昌区公安分局",
    "510521": "泸县公安局",
    "500116": "江津区公安分局",
    "510522": "合江县公安局",
    "500152": "潼南区公安分局",
    "510904": "安居区公安分局",
}


def sample_placements(regions: list[str], per_region: int, seed: int = 1) -> list[PlaceCommand]:
    """Placements by every region on plates of the simulators' fleet (the first vehicles of ``seed``).

    The simulators draw from the same fleet, so these plates are read at the checkpoints and match:
    exact reads, look-alike misreads (a third of the entries tolerate one) and duplicates from cameras.
    """
    fleet = vehicles(per_region * len(regions), seed)
    rng = random.Random(f"demo-watchlist:{seed}")
    now = datetime.now(UTC).replace(microsecond=0)
    out = []
    for i, v in enumerate(fleet):
        owner = regions[i % len(regions)]
        entry_id = stable_event_id("demo-entry", owner, v.plate)
        approval = Approval(
            unit=_UNITS.get(owner, "公安局"),
            approver=f"审批人 {rng.randint(10000, 99999)}",
            approved_at=now - timedelta(hours=2),
            reference=f"布控[{now.year}]{i + 1}号",
        )
        entry = WatchlistEntry(
            entry_id=entry_id,
            owner=owner,
            operator=f"{rng.randint(100000, 999999)}",
            approval=approval,
            category=_CATEGORIES[i % len(_CATEGORIES)],
            action=(Action.INTERCEPT, Action.DISCREET_REPORT, Action.NOTIFY)[i % 3],
            priority=(Priority.URGENT, Priority.HIGH, Priority.NORMAL)[i % 3],
            plate=v.plate,
            plate_colour=v.colour,
            tolerance=1 if i % 3 == 0 else 0,
            legal_basis="刑事诉讼法 第一百五十条",
            scope=(),
            placed_at=now - timedelta(hours=1),
            expires_at=now + timedelta(days=30),
        )
        out.append(
            PlaceCommand(command_id=stable_event_id("demo-place", entry_id), issued_at=now, entry=entry)
        )
    return out


def sample_alert(region: str, n: int, plate: str) -> Alert:
    """A CAP alert from ``region`` about a stolen vehicle, addressed to the whole zone."""
    now = datetime.now(UTC).replace(microsecond=0)
    return Alert.model_validate(
        {
            "identifier": f"RAX-DEMO-{region}-{n:05d}",
            "sender": f"zhihui@{region}.police.example",
            "sent": now.isoformat(),
            "status": "Exercise",
            "msg_type": "Alert",
            "scope": "Restricted",
            "restriction": "川渝 member command centres only",
            "info": [
                {
                    "categories": ["Security"],
                    "event": "被盗车辆",
                    "urgency": "Immediate",
                    "severity": "Severe",
                    "certainty": "Likely",
                    "headline": f"被盗车辆 {plate}",
                    "expires": (now + timedelta(hours=6)).isoformat(),
                    "areas": [{"area_desc": "川渝", "geocodes": [{"name": "GB/T 2260", "value": region}]}],
                }
            ],
            "sender_region": region,
            "category": "stolen_vehicle",
            "action_code": "intercept",
            "handling_code": "H1",
            "plates": [plate],
        }
    )
