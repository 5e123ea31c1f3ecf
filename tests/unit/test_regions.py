"""Tests of the GB/T 2260 region registry loaded from the packaged data."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import AfterValidator, BaseModel, ValidationError

from schemas.regions import Region, UnknownRegion, check_region, registry


def test_provinces_in_focus_list() -> None:
    reg = registry()
    assert reg.get("510000") == Region(code="510000", name="四川省", level="province", parent=None)
    assert reg.name("500000") == "重庆市"
    assert reg.get("500000").level == "province"


def test_every_province_exists_even_outside_the_focus_list() -> None:
    reg = registry()
    xinjiang = reg.get("650000")
    assert (xinjiang.name, xinjiang.level, xinjiang.parent) == ("新疆维吾尔自治区", "province", None)
    assert reg.children("650000") == []
    for code in ("110000", "460000", "540000", "810000", "820000"):
        assert code in reg


def test_municipality_county_is_within_pseudo_city_and_province() -> None:
    reg = registry()
    assert reg.name("500153") == "荣昌区"
    assert reg.parent("500153") == "500100"
    assert reg.name("500100") == "市辖区"
    assert reg.ancestors("500153") == ["500100", "500000"]
    assert reg.is_within("500153", "500000")
    assert reg.is_within("500153", "500100")
    assert not reg.is_within("500153", "500200")
    assert reg.province_of("500153") == "500000"


def test_county_within_city_and_province() -> None:
    reg = registry()
    assert reg.name("510521") == "泸县"
    assert reg.get("510521").level == "county"
    assert reg.is_within("510521", "510500")
    assert reg.is_within("510521", "510000")
    assert reg.is_within("510521", "510521")
    assert not reg.is_within("510000", "510521")
    assert not reg.is_within("510521", "500000")
    assert "510521" in reg.children("510500")
    assert "510500" in reg.children("510000")
    assert reg.province_of("510521") == "510000"
    assert reg.province_of("510000") == "510000"


def test_city_without_counties_is_not_its_own_parent() -> None:
    reg = registry()
    dongguan = reg.get("441900")
    assert (dongguan.level, dongguan.parent) == ("city", "440000")
    assert reg.ancestors("441900") == ["440000"]


def test_hong_kong_districts_are_under_hong_kong() -> None:
    reg = registry()
    assert reg.get("810001").level == "county"
    assert reg.is_within("810001", "810000")
    assert not reg.is_within("810001", "440000")


def test_check_region_returns_known_code() -> None:
    assert check_region("510521") == "510521"


def test_unknown_code_rejected_with_message() -> None:
    with pytest.raises(UnknownRegion, match=r"unknown region code '123456': not a GB/T 2260 code"):
        check_region("123456")
    with pytest.raises(UnknownRegion, match="unknown region code '510599'"):
        registry().get("510599")
    with pytest.raises(UnknownRegion):
        registry().is_within("510521", "999999")


@pytest.mark.parametrize("code", ["51000", "5100000", "51000a", " 510000", "", "５１００００"])
def test_malformed_code_rejected_with_message(code: str) -> None:
    with pytest.raises(UnknownRegion, match="must be 6 digits"):
        check_region(code)


def test_unknown_region_is_a_value_error() -> None:
    assert issubclass(UnknownRegion, ValueError)


def test_registry_is_loaded_once() -> None:
    assert registry() is registry()


class _Hit(BaseModel):
    region: Annotated[str, AfterValidator(check_region)]


def test_check_region_as_pydantic_validator() -> None:
    assert _Hit(region="500153").region == "500153"
    with pytest.raises(ValidationError, match="not a GB/T 2260 code"):
        _Hit(region="999999")
