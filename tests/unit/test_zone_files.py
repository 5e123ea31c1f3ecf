"""The example zone files: each loads, validates and is explained; 粤港澳's agreements differ by direction."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ops.cli.zone_cmd import command
from ops.zone import ZoneFileError, load_zone_file
from ops.zone.strict_yaml import strict_load
from schemas.audit import AuditReason
from schemas.disclosure import ConsentSide, may_disclose_match
from schemas.regions import registry
from schemas.sharing import Agreement, RedactField
from schemas.vocab import Category

ZONES = Path(__file__).parents[2] / "ops" / "zones"
YUEGANGAO = load_zone_file(ZONES / "yuegangao.yaml")
GD, SZ, ZH, HK, MO = "440000", "440300", "440400", "810000", "820000"
AT = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize("path", sorted(ZONES.glob("*.yaml")), ids=lambda p: p.stem)
@pytest.mark.parametrize("subcommand", ["check", "explain"])
def test_every_example_zone_is_valid_for_the_cli(path: Path, subcommand: str) -> None:
    result = CliRunner().invoke(command, [subcommand, str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"zone {path.stem}:")


def test_hong_kong_and_macau_are_members_under_their_gb2260_codes() -> None:
    names = {r.code: r.name for r in YUEGANGAO.regions}
    assert names == {GD: "广东省", SZ: "深圳市", ZH: "珠海市", HK: "香港特别行政区", MO: "澳门特别行政区"}
    assert all(registry().name(code) == name for code, name in names.items())
    assert YUEGANGAO.neighbours(MO) == {GD, ZH}


def _terms(agreement: Agreement) -> tuple[object, ...]:
    return agreement.categories, agreement.redact, agreement.purposes


def test_the_cross_jurisdiction_agreements_differ_by_direction() -> None:
    for a, b in [(GD, HK), (GD, MO), (SZ, HK), (ZH, MO)]:
        (there,), (back,) = YUEGANGAO.agreements_between(a, b), YUEGANGAO.agreements_between(b, a)
        assert _terms(there) != _terms(back)
        assert {RedactField.IMAGE_REF, RedactField.OPERATOR, RedactField.APPROVAL} <= set(there.redact)
    assert not YUEGANGAO.agreements_between(HK, MO) and not YUEGANGAO.agreements_between(MO, HK)


def test_guangdong_entries_reach_hong_kong_for_interception_redacted() -> None:
    # a Guangdong entry read at a Hong Kong crossing: Hong Kong's own read, Guangdong's agreement
    seen = may_disclose_match(YUEGANGAO, GD, HK, HK, Category.STOLEN_VEHICLE, AT, "interception")
    assert seen.reason is AuditReason.AGREEMENT
    assert (seen.agreement_id, seen.purpose) == ("gd-2024-to-hk", "interception")
    assert RedactField.IMAGE_REF in seen.redact and RedactField.PLATE_READ not in seen.redact


def test_hong_kong_tells_guangdong_less_and_only_for_investigation() -> None:
    back = may_disclose_match(YUEGANGAO, HK, HK, GD, Category.STOLEN_VEHICLE, AT, "interception")
    assert (back.agreement_id, back.purpose) == ("hk-2024-to-gd", "investigation")
    assert {RedactField.PLATE_READ, RedactField.CHECKPOINT_ID} & set(back.redact) == {RedactField.PLATE_READ}
    drugs = may_disclose_match(YUEGANGAO, HK, HK, GD, Category.DRUGS, AT)
    assert (drugs.reason, drugs.refused_by) == (AuditReason.CATEGORY_NOT_ALLOWED, ConsentSide.ENTRY)
    # across its own border, 深圳 is told of Hong Kong's drugs entries
    assert may_disclose_match(YUEGANGAO, HK, HK, SZ, Category.DRUGS, AT).agreement_id == "hk-sz-crossings"


def test_a_read_in_zhuhai_stays_with_zhuhai_unless_it_agreed() -> None:
    # 珠海 has agreed with Macau, not with Hong Kong: a Hong Kong entry read at the bridge's Zhuhai end
    # reaches Hong Kong only under an agreement of 珠海 with Hong Kong, which the example lacks
    refused = may_disclose_match(YUEGANGAO, HK, ZH, HK, Category.STOLEN_VEHICLE, AT)
    assert (refused.reason, refused.refused_by) == (AuditReason.NO_AGREEMENT, ConsentSide.READ)
    macau = may_disclose_match(YUEGANGAO, MO, ZH, MO, Category.STOLEN_VEHICLE, AT)
    assert (macau.reason, macau.read_agreement_id) == (AuditReason.AGREEMENT, "zh-mo-crossings")


def test_the_border_rule_names_sited_checkpoints_of_members() -> None:
    rules = YUEGANGAO.escalation
    assert rules is not None and rules.border is not None
    member_checkpoints = {c for r in YUEGANGAO.regions for c in r.checkpoints}
    assert set(rules.border.checkpoints) == member_checkpoints == {s.checkpoint_id for s in rules.checkpoints}


@pytest.mark.parametrize("subcommand", ["check", "explain"])
def test_a_zone_file_that_is_not_utf8_is_rejected_with_a_message(subcommand: str, tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: chuanyu\nregions: [{code: '510000', name: Sichuan\xe9}]\n".encode("latin-1"))
    result = CliRunner().invoke(command, [subcommand, str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "not UTF-8 text" in result.output, result.output


def test_a_key_given_twice_in_a_zone_file_is_refused_not_overwritten(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "ops" / "zones" / "chuanyu.yaml").read_text(encoding="utf-8")
    path = tmp_path / "twice.yaml"
    path.write_text(text.replace("name: ", "name: twice\nname: ", 1), encoding="utf-8")
    with pytest.raises(ZoneFileError, match="found the key 'name' twice"):
        load_zone_file(path)
    merged = "base: &b {a: 1, b: 2}\nover:\n  <<: *b\n  a: 3\n"  # a merge key may still be overridden
    assert strict_load(merged)["over"] == {"a": 3, "b": 2}
