"""The zone and its sharing rules: consistency errors name the field, agreements and subscriptions decide."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from schemas.codec import DecodeError, decode
from schemas.sharing import Agreement, Subscription
from schemas.vocab import Category
from schemas.zone import ZoneError, ZoneObject
from tests.unit.models_factories import zone, zone_data, zone_object

AT = datetime(2024, 6, 1, tzinfo=UTC)


def _zone_problems(**over: Any) -> list[str]:
    with pytest.raises(ValidationError) as info:
        zone(**over)
    (error,) = info.value.errors()
    cause = error["ctx"]["error"]
    assert isinstance(cause, ZoneError)
    return cause.problems


def _agreement(**over: Any) -> dict[str, Any]:
    return zone_data()["agreements"][0] | over


def test_valid_zone() -> None:
    z = zone()
    assert z.codes == {"510000", "500000", "510521", "500153"}
    assert z.neighbours("510521") == {"500153"}
    assert [a.agreement_id for a in z.agreements_between("510521", "500153")] == ["cy-510521-500153"]
    assert z.topics.hit_partitions == 6 and z.topics.replication_factor is None


def test_unknown_member_in_adjacency_is_named() -> None:
    problems = _zone_problems(adjacency=[["510000", "530000"]])
    assert problems == ["adjacency[0][1]: 530000 is not a member region"]


def test_self_adjacency_and_duplicate_pairs() -> None:
    problems = _zone_problems(adjacency=[["510000", "510000"], ["510000", "500000"], ["500000", "510000"]])
    assert problems == [
        "adjacency[0]: a region cannot border itself (510000)",
        "adjacency[2]: 500000-510000 is listed twice (first at adjacency[1])",
    ]


def test_agreement_with_a_non_member_and_with_itself() -> None:
    problems = _zone_problems(
        agreements=[_agreement(recipient="530000"), _agreement(agreement_id="self", recipient="510521")]
    )
    assert problems == [
        "agreements[0].recipient: 530000 is not a member region",
        "agreements[1].recipient: an owner needs no agreement with itself (510521)",
    ]


def test_duplicate_ids_are_named_with_both_positions() -> None:
    problems = _zone_problems(agreements=[_agreement(), _agreement(recipient="500000")])
    assert problems == [
        "agreements[1].agreement_id: cy-510521-500153 is listed twice (first at agreements[0])"
    ]
    regions = [{"code": "510000"}, {"code": "500000"}, {"code": "510000"}]
    problems = _zone_problems(regions=regions, agreements=[], subscriptions=[], adjacency=[])
    assert problems == ["regions[2].code: 510000 is listed twice (first at regions[0])"]


def test_subscription_areas_may_lie_inside_a_member() -> None:
    sub = zone_data()["subscriptions"][0]
    assert zone(subscriptions=[sub | {"areas": ["510521", "510500", "500153"]}]).subscriptions
    problems = _zone_problems(subscriptions=[sub | {"areas": ["530100"]}, sub | {"region": "530000"}])
    assert problems == [
        "subscriptions[0].areas[0]: 530100 is neither a member region nor inside one",
        "subscriptions[1].region: 530000 is not a member region",
        "subscriptions[1].subscription_id: cq-border-stolen is listed twice (first at subscriptions[0])",
    ]


def test_every_problem_is_reported_at_once_through_the_codec() -> None:
    data = zone_data(adjacency=[["510000", "530000"]])
    data["agreements"][1]["recipient"] = "510000"
    record = {"revision": 1, "published_at": "2024-06-01T00:00:00Z", "published_by": "op", "zone": data}
    with pytest.raises(DecodeError) as info:
        decode(orjson.dumps(record), ZoneObject)
    message = str(info.value)
    assert "zone: adjacency[0][1]: 530000 is not a member region" in message
    assert "agreements[1].recipient: an owner needs no agreement with itself (510000)" in message


def test_zone_field_errors_are_located() -> None:
    with pytest.raises(ValidationError) as info:
        zone(regions=[{"code": "5100"}])
    assert info.value.errors()[0]["loc"][:3] == ("regions", 0, "code")
    with pytest.raises(ValidationError) as info:
        zone(agreements=[_agreement(categories=["*", "drugs"])])
    assert info.value.errors()[0]["loc"] == ("agreements", 0, "categories")
    with pytest.raises(ValidationError) as info:
        zone(agreements=[_agreement(redact=["plate"])])
    assert info.value.errors()[0]["loc"][:3] == ("agreements", 0, "redact")
    with pytest.raises(ValidationError) as info:
        zone(topics={"hit_partitions": 0})
    assert info.value.errors()[0]["loc"] == ("topics", "hit_partitions")


def test_agreement_allows_selected_categories_while_in_force() -> None:
    a = Agreement.model_validate(_agreement(valid_until="2025-01-01T00:00:00Z"))
    assert a.allows(Category.STOLEN_VEHICLE, AT)
    assert not a.allows(Category.DRUGS, AT)
    assert not a.allows(Category.STOLEN_VEHICLE, datetime(2023, 12, 31, tzinfo=UTC))
    assert not a.allows(Category.STOLEN_VEHICLE, datetime(2025, 1, 1, tzinfo=UTC))
    every = Agreement.model_validate(_agreement(categories=["*"]))
    assert all(every.allows(c, AT) for c in Category)
    with pytest.raises(ValidationError) as info:
        Agreement.model_validate(_agreement(valid_until="2023-01-01T00:00:00Z"))
    assert info.value.errors()[0]["loc"] == ("valid_until",)


def test_subscription_covers_hits_inside_its_areas() -> None:
    sub = Subscription.model_validate(zone_data()["subscriptions"][0])  # 泸州市 510500, stolen vehicles
    assert sub.covers(Category.STOLEN_VEHICLE, "510521")  # 泸县 is in 泸州
    assert sub.covers(Category.STOLEN_VEHICLE, "510500")
    assert not sub.covers(Category.STOLEN_VEHICLE, "510100")  # 成都
    assert not sub.covers(Category.DRUGS, "510521")


def test_zone_object_key() -> None:
    assert zone_object().key == "zone:川渝"
    with pytest.raises(ValidationError):
        ZoneObject(revision=0, published_at=AT, published_by="op", zone=zone())
