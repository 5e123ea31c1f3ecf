"""Escalation rules (issue 14): each fires once on its scenario and not on its near misses."""

from __future__ import annotations

import uuid

from schemas.escalation import (
    BorderRule,
    CheckpointSite,
    ClonedPlateRule,
    EscalationRules,
    MultiRegionRule,
)
from schemas.operation import EscalationTrigger
from streams.escalate.rules import (
    LATE_S,
    MAX_MATCHES,
    Firing,
    VehicleState,
    horizon_s,
    late_s,
    observe,
    stale,
)
from streams.escalate.seen import Seen

T0 = 1_780_000_000.0
PLATE = "川A12345"
ENTRY = str(uuid.uuid4())

SITES = {
    s.checkpoint_id: s
    for s in (
        CheckpointSite(checkpoint_id="CD-1", lat=30.66, lon=104.07),  # 成都
        CheckpointSite(checkpoint_id="CQ-1", lat=29.56, lon=106.55),  # 重庆, ~270 km away
        CheckpointSite(checkpoint_id="CD-2", lat=30.70, lon=104.10),  # 成都, ~5 km from CD-1
        CheckpointSite(checkpoint_id="CQ-2", lat=29.60, lon=106.50),  # 重庆, ~7 km from CQ-1
        CheckpointSite(checkpoint_id="MY-1", lat=31.47, lon=104.68),  # 绵阳, ~110 km from 成都
        CheckpointSite(checkpoint_id="NC-1", lat=30.84, lon=106.11),  # 南充, ~200 km from 成都
    )
}


def match(region: str, t: float, checkpoint: str | None = None, priority: str = "high") -> Seen:
    cp = checkpoint or f"{region}-K1"
    return Seen(
        str(uuid.uuid4()), PLATE, "blue", region, cp, T0 + t, ENTRY, "510000", "stolen_vehicle", priority
    )


def read(checkpoint: str, t: float, colour: str = "blue", trusted: bool = True) -> Seen:
    region = "510000" if checkpoint.startswith("CD") else "500000"
    return Seen(str(uuid.uuid4()), PLATE, colour, region, checkpoint, T0 + t, trusted=trusted)


def run(rules: EscalationRules, reads: list[Seen]) -> tuple[list[Firing], VehicleState]:
    """Every read through the state, the state round-tripped through JSON each time (as the store does)."""
    state, fired = VehicleState(), []
    for s in reads:
        state = VehicleState.from_json(state.to_json())
        fired += observe(state, s, rules, SITES)
    return fired, state


MULTI = EscalationRules(multi_region=MultiRegionRule(min_regions=3, window_s=3600))


def test_multi_region_fires_once_on_the_third_region_within_the_window() -> None:
    reads = [match("510000", 0), match("500000", 600), match("500153", 1200), match("510521", 1800)]
    fired, _ = run(MULTI, reads)
    assert [f.trigger for f in fired] == [EscalationTrigger.MULTI_REGION]
    assert [s.region for s in fired[0].evidence] == ["510000", "500000", "500153"]


def test_multi_region_does_not_fire_on_n_minus_1_regions() -> None:
    reads = [match("510000", 0), match("500000", 600), match("510000", 1200), match("500000", 1800)]
    assert run(MULTI, reads)[0] == []


def test_multi_region_does_not_fire_outside_the_window() -> None:
    reads = [match("510000", 0), match("500000", 1800), match("500153", 3601)]
    assert run(MULTI, reads)[0] == []


def test_multi_region_counts_a_late_read_inside_an_earlier_window() -> None:
    reads = [match("510000", 0), match("500153", 1200), match("500000", 600)]  # the middle one arrives last
    fired, _ = run(MULTI, reads)
    assert len(fired) == 1
    assert [s.t - T0 for s in fired[0].evidence] == [0, 600, 1200]


def test_multi_region_places_reads_hours_late_in_their_window_and_fires_once() -> None:
    """A match now, then three regions' reads of three hours ago (a connector catching up)."""
    late = [match("500000", 0), match("500153", 300), match("510521", 600)]
    fired, state = run(MULTI, [match("510000", 3 * 3600 + 3540), *late])
    assert len(fired) == 1
    assert [s.region for s in fired[0].evidence] == ["500000", "500153", "510521"]
    # a fourth region inside that window, or the same reads replayed, open no second operation
    again = [match("510000", 450), *late]
    for s in again:
        state = VehicleState.from_json(state.to_json())
        assert observe(state, s, MULTI, SITES) == []
    # a new scenario after the mark's end still fires
    fresh = [match("500000", 3 * 3600 + 3600), match("500153", 3 * 3600 + 3660)]
    assert len([f for s in fresh for f in observe(state, s, MULTI, SITES)]) == 1


def test_multi_region_keeps_matches_for_a_bounded_lateness_only() -> None:
    assert late_s(MULTI) == LATE_S and late_s(CLONE) == 0
    newest = 3600 + LATE_S + 601  # the window and the lateness behind it, and a bit: all three older
    late = [match("500000", 0), match("500153", 300), match("510521", 600)]
    fired, state = run(MULTI, [match("510000", newest), *late])
    assert fired == [] and [s.t - T0 for s in state.matches] == [newest]  # refused, not kept
    many = [match(f"5{i:05d}", i) for i in range(MAX_MATCHES + 20)]
    rules = EscalationRules(multi_region=MultiRegionRule(min_regions=50, window_s=3600))
    _, state = run(rules, many)
    assert len(state.matches) == MAX_MATCHES and state.matches[0] == many[20]  # the oldest go first
    assert observe(state, many[0], rules, SITES) == [] and len(state.matches) == MAX_MATCHES


def test_a_blind_match_marks_the_plate_for_a_clone_after_it_left_the_state() -> None:
    rules = CLONE  # no multi-region rule: a match is dropped at the plate's next read
    blind = match("510000", 0)._replace(blind=True)
    fired, state = run(rules, [blind, read("CD-1", 60), read("CQ-1", 1260)])
    assert len(fired) == 1 and state.matches == []
    assert state.blind(fired[0]) and state.blind_until == T0 + horizon_s(rules)
    assert VehicleState.from_json(state.to_json()).blind_until == state.blind_until
    # a state written before blind marks reads as unmarked; one never blind stays so
    old = {k: v for k, v in state.to_json().items() if k != "b"}
    assert VehicleState.from_json(old).blind_until == -1.0
    clear, state = run(rules, [read("CD-1", 60), read("CQ-1", 1260)])
    assert not state.blind(clear[0]) and "b" not in state.to_json()
    # the mark keeps the plate from the sweep as long as it may still seal an operation
    marked = VehicleState(blind_until=T0 + 5000)
    assert not marked.empty() and not stale(marked, T0 + 9000, T0 + 4000)
    assert stale(marked, T0 + 9000, T0 + 6000)


def test_multi_region_by_checkpoints() -> None:
    rules = EscalationRules(multi_region=MultiRegionRule(min_regions=5, min_checkpoints=3, window_s=600))
    reads = [match("510000", 0, "A"), match("510000", 60, "B"), match("510000", 120, "A")]
    assert run(rules, reads)[0] == []
    fired, _ = run(rules, [*reads, match("510000", 180, "C")])
    assert len(fired) == 1


def test_multi_region_ignores_a_repeated_match() -> None:
    first = match("510000", 0)
    reads = [first, first, match("500000", 60)]
    assert run(MULTI, reads)[0] == []


def test_multi_region_only_for_the_listed_priorities() -> None:
    rules = EscalationRules(multi_region=MultiRegionRule(min_regions=2, priorities=("urgent",)))
    assert run(rules, [match("510000", 0), match("500000", 60)])[0] == []


BORDER = EscalationRules(border=BorderRule(checkpoints=("RC-LX-1",), cooldown_s=3600))


def test_border_fires_once_for_a_high_priority_entry_at_a_border_checkpoint() -> None:
    reads = [match("500153", 0, "RC-LX-1"), match("500153", 60, "RC-LX-1"), match("510521", 120, "RC-LX-1")]
    fired, _ = run(BORDER, reads)
    assert [f.trigger for f in fired] == [EscalationTrigger.BORDER]


def test_border_near_misses() -> None:
    assert run(BORDER, [match("500153", 0, "RC-LX-2")])[0] == []  # not a border checkpoint
    assert run(BORDER, [match("500153", 0, "RC-LX-1", priority="normal")])[0] == []


def test_border_fires_again_after_its_cooldown() -> None:
    fired, _ = run(BORDER, [match("500153", 0, "RC-LX-1"), match("500153", 3601, "RC-LX-1")])
    assert len(fired) == 2


CLONE = EscalationRules(
    cloned_plate=ClonedPlateRule(
        max_speed_kmh=200, road_factor=1.3, min_distance_km=20, corroborating_checkpoints=1
    )
)


def test_clone_fires_once_on_an_implausible_speed() -> None:
    reads = [read("CD-1", 0), read("CQ-1", 1200), read("CD-1", 1500), read("CQ-1", 1800)]
    fired, _ = run(CLONE, reads)
    assert [f.trigger for f in fired] == [EscalationTrigger.CLONED_PLATE]
    assert [s.checkpoint for s in fired[0].evidence] == ["CD-1", "CQ-1"]
    assert "km/h" in fired[0].detail


def test_clone_does_not_fire_on_a_plausible_speed() -> None:
    assert run(CLONE, [read("CD-1", 0), read("CQ-1", 3 * 3600)])[0] == []  # ~117 km/h by road


def test_clone_near_misses() -> None:
    assert run(CLONE, [read("CD-1", 0), read("CD-2", 30)])[0] == []  # closer than min_distance_km
    assert run(CLONE, [read("CD-1", 0), read("CQ-1", 1200, colour="yellow")])[0] == []  # another vehicle
    assert run(CLONE, [read("CD-1", 0), read("CQ-1", 1200, trusted=False)])[0] == []  # a likely misread
    assert run(CLONE, [read("CD-1", 0), read("XX-9", 60)])[0] == []  # a checkpoint without a site
    assert run(CLONE, [read("CD-1", 0), read("CQ-1", 7 * 3600)])[0] == []  # outside the window


def test_clone_compares_reads_less_than_the_window_apart_not_exactly_the_window() -> None:
    """docs/escalation.md and `rax zone explain`: "less than window_s apart"."""
    rule = CLONE.cloned_plate
    assert rule is not None
    rules = EscalationRules(cloned_plate=rule.model_copy(update={"window_s": 600}))
    assert run(rules, [read("CD-1", 0), read("CQ-1", 600)])[0] == []  # exactly the window apart
    fired, _ = run(rules, [read("CD-1", 0), read("CQ-1", 599)])
    assert [f.trigger for f in fired] == [EscalationTrigger.CLONED_PLATE]


def test_clone_uses_the_sites_road_factor() -> None:
    sites = dict(SITES)
    sites["CQ-1"] = sites["CQ-1"].model_copy(update={"road_factor": 1.0})
    state = VehicleState()
    observe(state, read("CD-1", 0), CLONE, sites)
    # ~270 km straight in 1.45 h is ~186 km/h: plausible with factor 1.0, not with 1.3 (~242 km/h)
    assert observe(state, read("CQ-1", 1.45 * 3600), CLONE, sites) == []
    state = VehicleState()
    observe(state, read("CD-1", 0), CLONE, SITES)
    assert len(observe(state, read("CQ-1", 1.45 * 3600), CLONE, SITES)) == 1


CORROBORATED = EscalationRules(cloned_plate=ClonedPlateRule(), checkpoints=tuple(SITES.values()))


def test_clone_by_default_wants_each_vehicle_read_at_two_checkpoints() -> None:
    reads = [read("CD-1", 0), read("CQ-1", 600), read("CD-2", 900), read("CQ-2", 1000), read("CD-1", 1200)]
    fired, _ = run(CORROBORATED, reads)
    assert [f.trigger for f in fired] == [EscalationTrigger.CLONED_PLATE]
    assert [s.checkpoint for s in fired[0].evidence] == ["CD-1", "CQ-1", "CD-2", "CQ-2"]
    assert "≥ 2 checkpoints" in fired[0].detail


def test_uncorroborated_clone_near_misses() -> None:
    assert run(CORROBORATED, [read("CD-1", 0), read("CQ-1", 600)])[0] == []  # two single reads
    # a car driving 成都 → 成都 with one confident far read (a misread of another car) in between
    assert (
        run(CORROBORATED, [read("CD-1", 0), read("CD-2", 1800), read("CQ-1", 2400), read("CD-1", 3600)])[0]
        == []
    )
    # the far vehicle read twice, but at one checkpoint only
    assert (
        run(CORROBORATED, [read("CD-1", 0), read("CQ-1", 600), read("CQ-1", 700), read("CD-2", 900)])[0] == []
    )
    # four reads minutes apart, each too far from every other: four vehicles seen once each (a plate on
    # many cars, or misreads), no track of two reads on either side
    four = [read("CD-1", 0), read("CQ-1", 60), read("MY-1", 120), read("NC-1", 180)]
    assert run(CORROBORATED, four)[0] == []
    assert run(CORROBORATED, [*four, read("CD-2", 1800)])[0] == []  # 成都's car read again: one track of two
    fired, _ = run(CORROBORATED, [*four, read("CD-2", 1800), read("CQ-2", 1900)])  # and 重庆's: two tracks
    assert [f.trigger for f in fired] == [EscalationTrigger.CLONED_PLATE]
    # a far read consistent with both of the other vehicle's reads corroborates nothing
    assert run(CORROBORATED, [read("CD-1", 0), read("CQ-1", 600), read("CQ-2", 4 * 3600)])[0] == []


def test_clone_tracks_corroborate_across_hours() -> None:
    """A car in 成都 at 0 and 4 h, one in 重庆 at 10 min and 4 h + 1 min: two pairs too far apart."""
    reads = [read("CD-1", 0), read("CQ-1", 600), read("CD-2", 4 * 3600), read("CQ-2", 4 * 3600 + 60)]
    fired, _ = run(CORROBORATED, reads)
    assert [len(f.evidence) for f in fired] == [4]


def test_reads_and_marks_leave_the_state_after_the_window() -> None:
    fired, state = run(CLONE, [read("CD-1", 0), read("CQ-1", 600), read("CD-1", 8 * 3600)])
    assert len(fired) == 1
    assert [s.t - T0 for s in state.hits] == [8 * 3600]
    assert state.fired == {}
    assert horizon_s(CLONE) == CLONE.cloned_plate.window_s  # type: ignore[union-attr]


def test_a_read_row_round_trips_every_field() -> None:
    s = Seen("e", PLATE, "blue", "510000", "CD-1", T0, "entry", "510000", "stolen_vehicle", "high", False)
    assert Seen.from_row(s.row()) == s
    assert len(s.row()) == len(Seen._fields)
    assert Seen.from_row(s.row()[:11]) == s  # a row kept before ``blind`` was added: not blind


def test_a_plate_is_stale_only_when_every_read_mark_and_agreement_is_over() -> None:
    old = Seen(str(uuid.uuid4()), "川A12345", "blue", "510000", "CD-1", 1_000.0)
    assert stale(VehicleState(hits=[old]), now=9_000.0, cutoff=2_000.0)
    assert not stale(VehicleState(hits=[old]), now=9_000.0, cutoff=1_000.0)  # at the cutoff: kept
    assert not stale(VehicleState(hits=[old], fired={"cloned_plate|blue": 2_500.0}), 9_000.0, 2_000.0)
    in_force = {"op": {"expires": 9_500.0}}
    assert not stale(VehicleState(hits=[old], agreements=in_force), 9_000.0, 2_000.0)
    assert stale(VehicleState(hits=[old], agreements=in_force), 10_000.0, 2_000.0)
