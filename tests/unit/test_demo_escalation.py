"""The demo's scenario reads open exactly the operations the demo promises, by the pure rules, in 川渝
(the demo's rules) and in 粤港澳 (the zone file's own)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ops.demo.escalation import DEMO_RULES, scenarios
from ops.demo.roles import demo_roles
from ops.zone import load_zone_file
from schemas.escalation import EscalationRules
from schemas.hits import CheckpointHit
from schemas.operation import EscalationTrigger
from schemas.zone import Zone
from streams.escalate.convoy import Pair, Passes, pair_key, pass_by, together
from streams.escalate.rules import VehicleState, observe
from streams.escalate.seen import Seen

ZONES = Path(__file__).resolve().parents[2] / "ops" / "zones"
NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def _zone(name: str) -> Zone:
    zone = load_zone_file(ZONES / f"{name}.yaml")
    return zone if zone.escalation is not None else zone.model_copy(update={"escalation": DEMO_RULES})


def _reads(zone: Zone) -> list[tuple[str, CheckpointHit]]:
    scenes = scenarios(zone.escalation, demo_roles(zone, NOW).region_of, [r.code for r in zone.regions])
    return scenes.reads(NOW)


def _clone_firings(rules: EscalationRules, hits: Sequence[CheckpointHit]) -> list[tuple[str, int]]:
    sites = {s.checkpoint_id: s for s in rules.checkpoints}
    state, fired = VehicleState(), []
    for hit in hits:
        fired += observe(state, Seen.of_hit(hit, 0.8), rules, sites)
    return [(f.trigger, len(f.evidence)) for f in fired]


@pytest.mark.parametrize("name", ["chuanyu", "yuegangao"])
def test_the_demo_clone_is_corroborated_and_fires_once(name: str) -> None:
    zone = _zone(name)
    assert zone.escalation is not None
    unwatched = [hit for _, hit in _reads(zone) if hit.plate.endswith("B6C666")]
    assert len(unwatched) == 4 and len({h.region for h in unwatched}) == 2
    assert _clone_firings(zone.escalation, unwatched) == [(EscalationTrigger.CLONED_PLATE, 4)]


def test_the_chuanyu_scenarios_are_the_demos_of_before() -> None:
    zone = _zone("chuanyu")
    scenes = scenarios(zone.escalation, demo_roles(zone, NOW).region_of, [r.code for r in zone.regions])
    assert scenes.names == ("crossing", "clone", "convoy")
    assert [p.entry.plate for p in scenes.placements] == ["川A8D888", "川A7E777", "渝A5F555"]
    assert [(r, h.checkpoint_id, h.plate) for r, h in scenes.reads(NOW)[:6]] == [
        ("510000", "510000-DEMO-CD", "川A8D888"),
        ("500000", "500000-DEMO-CQ", "川A8D888"),
        ("510000", "510000-DEMO-CD", "渝B6C666"),
        ("500000", "500000-DEMO-CQ", "渝B6C666"),
        ("510000", "510000-DEMO-CD2", "渝B6C666"),
        ("500000", "500000-DEMO-CQ2", "渝B6C666"),
    ]


def test_the_demo_convoy_fires_once() -> None:
    rule = DEMO_RULES.convoy
    assert rule is not None
    zone = _zone("chuanyu")
    plates = {"川A7E777", "渝A5F555"}
    passes: dict[str, Passes] = {}
    pairs: dict[str, Pair] = {}
    fired = []
    for _, hit in _reads(zone):
        if hit.plate not in plates:
            continue
        seen = Seen.of_hit(hit, 0.8)
        seen = Seen(*seen.row()[:6], f"entry-{hit.plate}", "510000", "stolen_vehicle", "high")
        for a, b in pass_by(passes.setdefault(seen.checkpoint, Passes()), seen, rule):
            firing = together(pairs.setdefault(pair_key(a, b), Pair()), a, b, rule)
            fired += [firing] if firing else []
    assert [f.trigger for f in fired] == [EscalationTrigger.CONVOY]


def test_yuegangao_runs_its_own_rules_a_border_crossing_and_a_clone_no_convoy() -> None:
    zone = _zone("yuegangao")
    assert zone.escalation is not None and zone.escalation.border is not None
    scenes = scenarios(zone.escalation, demo_roles(zone, NOW).region_of, [r.code for r in zone.regions])
    assert scenes.names == ("crossing", "clone")
    (entry,) = [p.entry for p in scenes.placements]
    crossing = [h for _, h in scenes.reads(NOW) if h.plate == entry.plate]
    # the urgent vehicle is read at a crossing of another jurisdiction than its owner's
    assert crossing[-1].checkpoint_id in zone.escalation.border.checkpoints
    assert crossing[-1].region[:2] != entry.owner[:2]


def test_a_zone_without_escalation_rules_gets_no_scenarios() -> None:
    zone = load_zone_file(ZONES / "chuanyu.yaml")
    scenes = scenarios(None, demo_roles(zone, NOW).region_of, [r.code for r in zone.regions])
    assert scenes.names == () and scenes.placements == [] and scenes.reads(NOW) == []
