"""The least-privilege table: the zone plan's ACLs grant exactly it, and the operator's guide shows it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.zone import load_zone_file, plan_zone
from ops.zone.privileges import TABLE, Identity, acls_allow, attempts, markdown_table
from schemas.topics import IN_KINDS, Catalogue

ROOT = Path(__file__).parents[2]
CAT = Catalogue("rax")
#: both example zones: in 粤港澳, Hong Kong and Macau are members like any mainland region
ZONES = {name: load_zone_file(ROOT / "ops" / "zones" / f"{name}.yaml") for name in ("chuanyu", "yuegangao")}
PLANS = {name: plan_zone(zone, CAT, secure=True) for name, zone in ZONES.items()}
ZONE, PLAN = ZONES["chuanyu"], PLANS["chuanyu"]
CODES = sorted(ZONE.codes)


@pytest.mark.parametrize(
    ("zone", "actor"), [(name, code) for name, z in ZONES.items() for code in sorted(z.codes)]
)
def test_a_regions_acls_grant_exactly_the_table_against_every_other_region(zone: str, actor: str) -> None:
    plan, codes = PLANS[zone], sorted(ZONES[zone].codes)
    tried = attempts(CAT, codes, Identity.REGION, actor)
    wrong = [a for a in tried if acls_allow(plan.acls, Identity.REGION.user(actor), a) != a.expected]
    assert not wrong, wrong[:5]
    others = {a.name for a in tried if a.row.startswith("`rax.in.S")}
    assert len(others) == len(IN_KINDS) * (len(codes) - 1)  # every input of every other member, all pairs


@pytest.mark.parametrize("identity", [Identity.PROCESSORS, Identity.EVALUATOR, Identity.OPERATOR])
def test_the_processors_and_operators_acls_grant_exactly_the_table(identity: Identity) -> None:
    tried = attempts(CAT, CODES, identity)
    wrong = [a for a in tried if acls_allow(PLAN.acls, identity.user(), a) != a.expected]
    assert not wrong, wrong[:5]


def test_one_acl_more_is_caught() -> None:
    from ops.zone.plan import AclRule

    extra = AclRule("User:region-510521", "topic", CAT.dlq("connector", "510000"), "literal", "write")
    tried = attempts(CAT, CODES, Identity.REGION, "510521")
    assert any(acls_allow([*PLAN.acls, extra], "region-510521", a) != a.expected for a in tried)


def test_own_and_other_rows_agree_for_identities_without_a_region() -> None:
    rows = {r.resource.replace(".R", ".S").replace("R.*", "S.*"): r for r in TABLE if r.scope == "own"}
    for row in TABLE:
        if row.scope == "other" and row.resource in rows:
            own = rows[row.resource]
            assert own.processors == row.processors and own.operator == row.operator, row.resource
            assert own.evaluator == row.evaluator, row.resource


def test_the_operators_guide_shows_the_table() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert markdown_table() in guide, (
        "docs/operations.md does not show the least-privilege table of ops/zone/privileges.py; paste:\n"
        + markdown_table()
    )
