"""The demo's roles come from the zone: 川渝 plays as before, 粤港澳 from its own file; the sample
entries are on plates the simulators read, and the request goes where the consent rule lets it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.simulator.plates import fleet
from ops.demo.requests import demo_answers, demo_request
from ops.demo.roles import RequestRoles, demo_roles
from ops.demo.samples import sample_placements
from ops.zone import load_zone_file
from schemas.plates import PlateKind, read_plate
from schemas.zone import Zone
from streams.control.requests.consent import request_consent

ZONES = Path(__file__).resolve().parents[2] / "ops" / "zones"
NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
CHUANYU = load_zone_file(ZONES / "chuanyu.yaml")
YUEGANGAO = load_zone_file(ZONES / "yuegangao.yaml")


def test_chuanyu_plays_as_before() -> None:
    roles = demo_roles(CHUANYU, NOW)
    assert roles.simulated == ("510000", "500000", "500153", "510521")  # both sides, the joint office
    assert all(cps == () for cps in roles.checkpoints.values())  # the simulator's own border checkpoints
    assert roles.consoles == ("510521", "500153")  # 泸县 and 荣昌
    assert roles.request == RequestRoles("510521", "500153", "500000")  # 泸县 asks 荣昌 and 重庆
    assert roles.owners == tuple(sorted(CHUANYU.codes))


def test_yuegangao_simulates_its_crossings_and_puts_consoles_on_a_border_with_agreements_both_ways() -> None:
    roles = demo_roles(YUEGANGAO, NOW)
    assert roles.simulated == ("440300", "440400", "810000", "820000")  # the members with checkpoints
    assert roles.checkpoints["810000"] == ("810000-LOKMACHAU", "810000-SHENZHENBAY", "810000-HZMB")
    a, b = roles.consoles
    assert YUEGANGAO.agreements_between(a, b) and YUEGANGAO.agreements_between(b, a)
    assert {a, b} == {"440400", "820000"}  # 珠海 and 澳门, across 拱北/横琴
    assert roles.owners == ("440000", "440300", "440400", "810000", "820000")
    assert roles.region_of["820000-HZMB"] == "820000"


@pytest.mark.parametrize("zone", [CHUANYU, YUEGANGAO], ids=["chuanyu", "yuegangao"])
def test_the_request_goes_only_where_consent_allows_and_is_answered(zone: Zone) -> None:
    roles = demo_roles(zone, NOW)
    assert roles.request is not None and roles.request.declining is not None
    req = demo_request("粤B12345", roles.request, "x")
    assert req.requester in roles.consoles and req.recipients[0] in roles.consoles
    for recipient in req.recipients:
        consent = request_consent(zone, req.requester, recipient, req.category, req.purpose, NOW)
        assert consent.allowed, consent.problem
    answers = demo_answers(req)
    assert {(a.region, a.status.value) for a in answers} == {
        (roles.request.partner, "accepted"),
        (roles.request.partner, "answered"),
        (roles.request.declining, "declined"),
    }


def test_in_yuegangao_macau_cannot_ask_guangdong_so_zhuhai_asks() -> None:
    # mo-2024-to-gd is for investigation only: Macau's request for interception could not include 广东
    roles = demo_roles(YUEGANGAO, NOW)
    assert roles.request == RequestRoles("440400", "820000", "440000")


@pytest.mark.parametrize("zone", [CHUANYU, YUEGANGAO], ids=["chuanyu", "yuegangao"])
def test_sample_entries_are_on_plates_the_simulators_read(zone: Zone) -> None:
    roles = demo_roles(zone, NOW)
    placements = sample_placements(list(roles.owners), 5, roles.sources)
    assert len(placements) == 5 * len(roles.owners)
    fleets = {region: {v.plate for v in fleet(region, 2000, 1)} for region in roles.simulated}
    read = set().union(*fleets.values())
    for cmd in placements:
        assert cmd.entry.plate in read
        # an owner's entries are read where it may see the reads (by itself, or under an agreement to
        # it), when there is such a simulated region
        owner = cmd.entry.owner
        readers = {r for r in roles.simulated if cmd.entry.plate in fleets[r]}
        visible = {r for r in roles.simulated if r == owner or zone.agreements_between(r, owner)}
        assert readers & visible if visible else readers
    assert len({c.entry.plate for c in placements}) == len(placements)


def test_chuanyu_entries_are_the_shared_fleets_first_vehicles_as_before() -> None:
    roles = demo_roles(CHUANYU, NOW)
    placements = sample_placements(list(roles.owners), 3, roles.sources)
    first = fleet("510000", 24, 1)
    assert [c.entry.plate for c in placements] == [v.plate for v in first]
    assert [c.entry.owner for c in placements] == list(roles.owners) * 3


def test_hong_kong_and_macau_entries_are_exact_and_on_their_own_plates() -> None:
    roles = demo_roles(YUEGANGAO, NOW)
    placements = sample_placements(list(roles.owners), 12, roles.sources)
    kinds = {c.entry.plate: read_plate(c.entry.plate).kind for c in placements if c.entry.plate}
    for cmd in placements:
        if cmd.entry.owner in ("810000", "820000"):
            assert cmd.entry.tolerance == 0
    hk = [c for c in placements if c.entry.owner == "810000"]
    assert any(kinds[c.entry.plate or ""] is PlateKind.HONG_KONG for c in hk)


def test_macau_entries_are_on_macau_plates() -> None:
    roles = demo_roles(YUEGANGAO, NOW)
    placements = sample_placements(list(roles.owners), 12, roles.sources)
    mo = [c.entry.plate or "" for c in placements if c.entry.owner == "820000"]
    assert any(read_plate(p).kind is PlateKind.MACAU for p in mo)


def test_a_zone_where_no_two_members_agree_both_ways_is_refused() -> None:
    one_way = CHUANYU.model_copy(update={"agreements": CHUANYU.agreements[:1], "subscriptions": ()})
    with pytest.raises(ValueError, match="agreements both ways"):
        demo_roles(one_way, NOW)
