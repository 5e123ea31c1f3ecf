"""`rax zone explain`: a zone's escalation rules said in words, with their near misses and warnings."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from ops.cli.zone_cmd import command
from ops.demo.escalation import DEMO_RULES
from ops.zone import load_zone_file
from ops.zone.explain import explain_escalation
from schemas.escalation import ClonedPlateRule, EscalationRules, MultiRegionRule
from tests.support.hotpath import EXAMPLE_ZONE


def test_every_declared_rule_is_explained_with_its_parameters() -> None:
    zone = load_zone_file(EXAMPLE_ZONE).model_copy(update={"escalation": DEMO_RULES})
    lines = explain_escalation(zone)
    text = "\n".join(lines)
    assert [line[:3] for line in lines[:3]] == ["(a)", "(c)", "(d)"]
    assert "matched in 2 regions within 6 h" in text and "1 regions do not" in text
    assert "faster than 200 km/h" in text and "read at 2 checkpoints" in text
    assert "less than 6 h apart" in text  # as the rule compares (rules._cloned) and docs/escalation.md
    assert "passing 3 checkpoints together, at most 10 s apart" in text
    assert "in one order (the same vehicle ahead at each" in text
    assert lines[3] == "checkpoint sites: 5"


def test_a_zone_without_rules_and_a_rule_without_sites_are_said_so() -> None:
    zone = load_zone_file(EXAMPLE_ZONE)
    assert explain_escalation(zone) == [
        "no escalation rules: routine matches never open a special operation (专项)"
    ]
    unsited = zone.model_copy(update={"escalation": EscalationRules(cloned_plate=ClonedPlateRule())})
    assert any(line.startswith("warning: cloned_plate") for line in explain_escalation(unsited))


def test_the_command_explains_a_zone_file_and_refuses_an_invalid_one(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE_ZONE.read_text())
    data["escalation"] = {"convoy": {"gap_s": 20, "min_checkpoints": 4}}
    good = tmp_path / "zone.yaml"
    good.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = CliRunner().invoke(command, ["explain", str(good)])
    assert result.exit_code == 0, result.output
    assert "(d) convoy" in result.output and "4 checkpoints together, at most 20 s apart" in result.output
    data["escalation"] = {"convoy": {"gap_s": -1}}
    good.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = CliRunner().invoke(command, ["explain", str(good)])
    assert result.exit_code != 0 and "gap_s" in result.output


def test_a_checkpoint_no_region_lists_is_named_as_a_likely_typo() -> None:
    zone = load_zone_file(Path(__file__).parents[2] / "ops" / "zones" / "yuegangao.yaml")
    assert not [line for line in explain_escalation(zone) if "no region lists" in line]
    rules = zone.escalation
    assert rules is not None and rules.border is not None
    typo = rules.border.model_copy(update={"checkpoints": ("440300-HUANGANG", *rules.border.checkpoints[1:])})
    lines = explain_escalation(
        zone.model_copy(update={"escalation": rules.model_copy(update={"border": typo})})
    )
    assert "warning: escalation names checkpoints no region lists (a typo?): 440300-HUANGANG" in lines


def test_the_near_miss_of_a_multi_region_rule_with_checkpoints_is_said_right() -> None:
    # 2 regions at 5 checkpoints do open one: "2 regions do not" would be false
    rules = EscalationRules(multi_region=MultiRegionRule(min_regions=3, min_checkpoints=5))
    zone = load_zone_file(EXAMPLE_ZONE).model_copy(update={"escalation": rules})
    text = explain_escalation(zone)[0]
    assert "in 3 regions or at 5 checkpoints" in text
    assert text.endswith("2 regions at fewer than 5 checkpoints do not")


def test_a_rule_for_no_priority_is_refused_not_explained_as_priority_nothing(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE_ZONE.read_text())
    path = tmp_path / "zone.yaml"
    rules: dict[str, dict[str, object]] = {
        "multi_region": {},
        "border": {"checkpoints": ["RC-1"]},
        "convoy": {},
    }
    for name, rule in rules.items():
        data["escalation"] = {name: {**rule, "priorities": []}}
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
        result = CliRunner().invoke(command, ["explain", str(path)])
        assert result.exit_code != 0, result.output
        assert f"escalation.{name}.priorities" in result.output
