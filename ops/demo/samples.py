"""The demo's sample data: watchlist placements on plates the simulators read, and CAP alerts."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from connectors.simulator.plates import Vehicle, fleet
from schemas.alerts import Alert
from schemas.base import stable_event_id
from schemas.plate_pattern import normalise_pattern
from schemas.vocab import Action, Category, Priority
from schemas.watchlist import Approval, PlaceCommand, WatchlistEntry

__all__ = ["sample_alert", "sample_placements", "unit_of"]

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
    "440000": "广东省公安厅",
    "440300": "深圳市公安局",
    "440400": "珠海市公安局",
    "810000": "香港警务处",
    "820000": "澳门治安警察局",
}
#: owners whose entries are exact (tolerance 0): Hong Kong and Macau disclose exact matches only
#: (ops/zones/yuegangao.yaml)
_EXACT_ONLY = frozenset({"810000", "820000"})


def unit_of(region: str) -> str:
    """The approving unit of ``region``'s demo entries."""
    return _UNITS.get(region, "公安局")


def sample_placements(
    owners: list[str], per_region: int, sources: Mapping[str, tuple[str, ...]], seed: int = 1
) -> list[PlaceCommand]:
    """``per_region`` placements by each owner on plates the simulators read (``seed``'s fleets).

    ``sources``: owner -> the simulated regions whose fleets its entries are drawn from, in turn (one
    simulated region's first vehicles are read most). In 川渝 every simulator reads one fleet, so the
    entries are its first vehicles, owner after owner. The plates are read at the checkpoints and
    match: exact reads, look-alike misreads (a third of the entries tolerate one, where the owner
    allows it) and duplicates from cameras.
    """
    picked = _pick(owners, per_region, sources, seed)
    rng = random.Random(f"demo-watchlist:{seed}")
    now = datetime.now(UTC).replace(microsecond=0)
    out = []
    for i, (owner, v) in enumerate(picked):
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
            tolerance=1 if i % 3 == 0 and owner not in _EXACT_ONLY else 0,
            legal_basis="刑事诉讼法 第一百五十条",
            scope=(),
            placed_at=now - timedelta(hours=1),
            expires_at=now + timedelta(days=30),
        )
        out.append(
            PlaceCommand(command_id=stable_event_id("demo-place", entry_id), issued_at=now, entry=entry)
        )
    return out


def _pick(
    owners: list[str], per_region: int, sources: Mapping[str, tuple[str, ...]], seed: int
) -> list[tuple[str, Vehicle]]:
    """(owner, vehicle) in turn: round r gives each owner the next unused vehicle of its r-th source."""
    regions = sorted({r for rs in sources.values() for r in rs})
    fleets = {r: fleet(r, 2 * per_region * len(owners) + 64, seed) for r in regions}
    next_of = dict.fromkeys(regions, 0)
    used: set[str] = set()
    out = []
    for r in range(per_region):
        for owner in owners:
            if not sources.get(owner):
                continue
            region = sources[owner][r % len(sources[owner])]
            vehicles = fleets[region]
            while vehicles[next_of[region]].plate in used or not _enterable(vehicles[next_of[region]].plate):
                next_of[region] += 1
            v = vehicles[next_of[region]]
            used.add(v.plate)
            out.append((owner, v))
    return out


def _enterable(plate: str) -> bool:
    """Whether an entry on ``plate`` keeps it as the reads carry it (else it could never match).

    Not so today for Macau plates: an entry drops their hyphens and takes ``MA-12-34`` for the Hong
    Kong mark ``MA1234`` (schemas/plate_pattern.py), while a read keeps them.
    """
    try:
        return normalise_pattern(plate) == plate
    except ValueError:
        return False


def sample_alert(region: str, n: int, plate: str, zone_label: str = "川渝") -> Alert:
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
            "restriction": f"{zone_label} member command centres only",
            "info": [
                {
                    "categories": ["Security"],
                    "event": "被盗车辆",
                    "urgency": "Immediate",
                    "severity": "Severe",
                    "certainty": "Likely",
                    "headline": f"被盗车辆 {plate}",
                    "expires": (now + timedelta(hours=6)).isoformat(),
                    "areas": [
                        {"area_desc": zone_label, "geocodes": [{"name": "GB/T 2260", "value": region}]}
                    ],
                }
            ],
            "sender_region": region,
            "category": "stolen_vehicle",
            "action_code": "intercept",
            "handling_code": "H1",
            "plates": [plate],
        }
    )
