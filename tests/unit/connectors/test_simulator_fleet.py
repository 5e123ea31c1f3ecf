"""The simulator's traffic fits the region it reads: 川渝's shared fleet, Guangdong, Hong Kong, Macau."""

from __future__ import annotations

from collections import Counter

from connectors.simulator.plates import fleet, vehicles
from connectors.simulator.zone import listed_checkpoints
from schemas.plates import PlateKind, read_plate


def _kinds(region: str) -> Counter[PlateKind]:
    return Counter(read_plate(v.plate).kind for v in fleet(region, 2000, 1))


def test_chuanyu_regions_read_the_one_shared_fleet_as_before() -> None:
    assert fleet("510521", 500, 1) == fleet("500000", 500, 1) == vehicles(500, 1)


def test_each_region_reads_plates_of_its_own_jurisdiction_mostly() -> None:
    hk, mo = _kinds("810000"), _kinds("820000")
    assert hk[PlateKind.HONG_KONG] > 1200 and hk[PlateKind.HK_MACAU_CROSSBORDER] > 100
    assert mo[PlateKind.MACAU] > 1200 and mo[PlateKind.HK_MACAU_CROSSBORDER] > 100
    guangdong = [v.plate for v in fleet("440300", 2000, 1)]
    assert sum(p.startswith("粤") for p in guangdong) > 1700
    assert any(read_plate(p).kind is PlateKind.HONG_KONG for p in guangdong)  # Northbound cars


def test_fleets_are_prefix_stable_and_regions_do_not_share_vehicles() -> None:
    assert fleet("810000", 3000, 1)[:100] == fleet("810000", 100, 1)
    # a vehicle in two fleets is read in both regions seconds apart: two cars on one plate, a clone (the
    # first 200 of 深圳 and 珠海 were apart, their 30,000 shared ~1,900 plates: 10 clones in a 90 s demo)
    fleets = {
        r: {v.plate for v in fleet(r, 5000, 1)} for r in ("440000", "440300", "440400", "810000", "820000")
    }
    shared = {(a, b): len(fleets[a] & fleets[b]) for a in fleets for b in fleets if a < b}
    assert not any(shared.values()), shared


def test_listed_checkpoints_keep_their_ids_and_read_both_directions() -> None:
    cps = listed_checkpoints(("810000-HZMB", "810000-LOKMACHAU"), "810000", 1)
    assert [c.kkbh for c in cps] == ["810000-HZMB", "810000-LOKMACHAU"]
    assert all(len({d for d, _ in c.lanes}) == 2 and c.county == "810000" for c in cps)
