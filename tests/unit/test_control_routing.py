"""Who an alert reaches in the 川渝 zone: scope (explicit, areas, adjacency, zone) and agreements."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ops.zone import load_zone_file
from schemas.audit import AuditReason
from streams.control.alerts.routing import candidates, route
from tests.unit.models_factories import alert

ZONE = load_zone_file(Path(__file__).resolve().parents[2] / "ops" / "zones" / "chuanyu.yaml")
NOW = datetime(2025, 3, 1, tzinfo=UTC)
MEMBERS = {"500000", "500116", "500152", "500153", "510000", "510521", "510522", "510904"}


def bare(**over: Any) -> Any:
    """An alert of 泸县 with no area, no targets: the whole zone is its scope."""
    info = [{"categories": ["Security"], "event": "被盗车辆", "urgency": "Immediate", "severity": "Severe",
             "certainty": "Likely"}]  # fmt: skip
    return alert(info=info, **over)


def disclosed(decisions: list[Any]) -> set[str]:
    return {d.recipient for d in decisions if d.disclosed}


def test_no_scope_means_the_whole_zone_and_agreements_decide() -> None:
    a = bare()
    assert candidates(ZONE, a) == MEMBERS
    decisions = {d.recipient: d for d in route(ZONE, a, NOW)}
    # itself, the joint office, and 重庆 across the border (lx-to-cq covers the stolen vehicle)
    assert disclosed(list(decisions.values())) == {"510521", "500153", "500000"}
    assert decisions["510521"].reason == AuditReason.OWNER
    assert decisions["500153"].agreement_id == "lx-rc-joint-office"
    assert decisions["500153"].purpose == "investigation"
    assert decisions["510000"].reason == AuditReason.NO_AGREEMENT


def test_an_area_reaches_the_members_inside_it_and_those_that_contain_it() -> None:
    a = alert(sender_region="500000", category="fugitive")  # its area geocode is 510521 (泸县)
    assert candidates(ZONE, a) == {"500000", "510521", "510000"}
    assert disclosed(route(ZONE, a, NOW)) == {"500000", "510521", "510000"}


def test_explicit_targets_and_addresses_that_are_region_codes() -> None:
    a = bare(sender_region="510000", target_regions=["500000"], addresses=["500153", "ops@example"])
    assert candidates(ZONE, a) == {"510000", "500000", "500153"}


def test_adjacency_through_the_scope_parameter() -> None:
    info = [{"categories": ["Met"], "event": "storm", "urgency": "Immediate", "severity": "Severe",
             "certainty": "Likely", "parameters": [{"name": "rax.scope", "value": "adjacent"}]}]  # fmt: skip
    a = alert(sender_region="500116", info=info)
    assert candidates(ZONE, a) == {"500116", "510522"}


def test_each_candidate_is_decided_by_the_agreement_rule_with_its_reason() -> None:
    def reasons(category: str, at: datetime) -> dict[str, AuditReason]:
        a = bare(sender_region="510000", target_regions=["500000", "500152"], category=category)
        return {d.recipient: d.reason for d in route(ZONE, a, at)}

    assert reasons("terrorism", NOW) == {
        "510000": AuditReason.OWNER,
        "500000": AuditReason.CATEGORY_NOT_ALLOWED,
        "500152": AuditReason.NO_AGREEMENT,
    }
    assert reasons("drugs", datetime(2023, 1, 1, tzinfo=UTC))["500000"] == AuditReason.AGREEMENT_NOT_IN_FORCE
    assert reasons("drugs", NOW)["500000"] == AuditReason.AGREEMENT


@pytest.mark.parametrize("region", sorted(MEMBERS))
def test_the_sender_always_receives_its_own(region: str) -> None:
    decisions = {d.recipient: d for d in route(ZONE, bare(sender_region=region, category="terrorism"), NOW)}
    assert decisions[region].reason == AuditReason.OWNER
