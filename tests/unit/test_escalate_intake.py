"""Escalation intake: hits and matches become compact reads keyed by plate, only where a rule needs them."""

from __future__ import annotations

import orjson
import pytest

from schemas.escalation import BorderRule, ClonedPlateRule, EscalationRules, MultiRegionRule
from schemas.topics import Catalogue
from streams.escalate.intake import Skipped, take_in
from streams.escalate.seen import Seen
from streams.runtime import Record
from tests.unit.models_factories import hit_data

CAT = Catalogue("rax")
CLONE = EscalationRules(cloned_plate=ClonedPlateRule(min_confidence=0.9))
MULTI = EscalationRules(multi_region=MultiRegionRule())


def hit_record(region: str = "510521", **over: object) -> Record:
    return Record(CAT.in_hits(region), orjson.dumps(hit_data(**over)), _key=b"whatever")


def test_a_hit_goes_to_the_inbox_keyed_by_its_plate() -> None:
    out = take_in(hit_record(), CAT, CLONE)
    assert out is not None and out.topic == CAT.escalate_inbox and out.key == "川A12345".encode()
    seen = Seen.from_row(orjson.loads(out.value or b""))
    assert (seen.region, seen.checkpoint, seen.colour, seen.trusted) == (
        "510521",
        "510521-KK-0042",
        "blue",
        True,
    )
    assert not seen.is_match


def test_low_confidence_and_misread_plates_are_not_trusted_for_clones() -> None:
    low = take_in(hit_record(confidence=0.5), CAT, CLONE)
    odd = take_in(hit_record(plate="川A6ZE1N"), CAT, CLONE)  # 3 letters in the serial: a likely misread
    for out in (low, odd):
        assert out is not None and not Seen.from_row(orjson.loads(out.value or b"")).trusted


def test_only_what_a_rule_needs_is_taken_in() -> None:
    assert take_in(hit_record(), CAT, MULTI) is None  # no cloned-plate rule: plain hits are not needed
    border = EscalationRules(border=BorderRule(checkpoints=("X",)))
    assert take_in(Record(CAT.matches, b"{}"), CAT, CLONE) is None
    with pytest.raises(Skipped, match="undecodable"):
        take_in(Record(CAT.matches, b"{}"), CAT, border)


def test_refused_hits_are_skipped_with_their_reason() -> None:
    with pytest.raises(Skipped, match="impersonation"):
        take_in(hit_record(region="500000"), CAT, CLONE)  # 510521's hit published on 500000's topic
    with pytest.raises(Skipped, match="undecodable"):
        take_in(Record(CAT.in_hits("510521"), b"not json"), CAT, CLONE)
