"""The demo's scenario reads open exactly the operations the demo promises, by the pure rules."""

from __future__ import annotations

from ops.demo.escalation import CLONED_PLATE, CONVOY, DEMO_RULES, scenario_reads
from schemas.operation import EscalationTrigger
from streams.escalate.convoy import Pair, Passes, pair_key, pass_by, together
from streams.escalate.rules import VehicleState, observe
from streams.escalate.seen import Seen


def test_the_demo_clone_is_corroborated_and_fires_once() -> None:
    sites = {s.checkpoint_id: s for s in DEMO_RULES.checkpoints}
    state, fired = VehicleState(), []
    for _, hit in scenario_reads():
        if hit.plate == CLONED_PLATE:
            fired += observe(state, Seen.of_hit(hit, 0.8), DEMO_RULES, sites)
    assert [(f.trigger, len(f.evidence)) for f in fired] == [(EscalationTrigger.CLONED_PLATE, 4)]


def test_the_demo_convoy_fires_once() -> None:
    rule = DEMO_RULES.convoy
    assert rule is not None
    plates = {plate for _, plate in CONVOY}
    passes: dict[str, Passes] = {}
    pairs: dict[str, Pair] = {}
    fired = []
    for _, hit in scenario_reads():
        if hit.plate not in plates:
            continue
        seen = Seen.of_hit(hit, 0.8)
        seen = Seen(*seen.row()[:6], f"entry-{hit.plate}", "510000", "stolen_vehicle", "high")
        for a, b in pass_by(passes.setdefault(seen.checkpoint, Passes()), seen, rule):
            firing = together(pairs.setdefault(pair_key(a, b), Pair()), a, b, rule)
            fired += [firing] if firing else []
    assert [f.trigger for f in fired] == [EscalationTrigger.CONVOY]
