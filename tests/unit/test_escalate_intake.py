"""Escalation intake: hits and matches become compact reads keyed by plate, only where a rule needs them."""

from __future__ import annotations

import orjson
import pytest

from schemas.codec import encode
from schemas.escalation import BorderRule, ClonedPlateRule, ConvoyRule, EscalationRules, MultiRegionRule
from schemas.hit_lean import read_hit
from schemas.hits import CheckpointHit
from schemas.topics import Catalogue
from schemas.vocab import Priority
from streams.escalate.closing import KIND_HEADER
from streams.escalate.intake import MATCH_HEADER, PASS, Skipped, take_in
from streams.escalate.seen import Seen
from streams.runtime import Record
from tests.unit.models_factories import hit_data, match

CAT = Catalogue("rax")
CLONE = EscalationRules(cloned_plate=ClonedPlateRule(min_confidence=0.9))
MULTI = EscalationRules(multi_region=MultiRegionRule())


def hit_record(region: str = "510521", **over: object) -> Record:
    return Record(CAT.in_hits(region), orjson.dumps(hit_data(**over)), _key=b"whatever")


def test_a_hit_goes_to_the_inbox_keyed_by_its_plate() -> None:
    (out,) = take_in(hit_record(), CAT, CLONE)
    assert out.topic == CAT.escalate_inbox and out.key == "川A12345".encode()
    seen = Seen.from_row(orjson.loads(out.value or b""))
    assert (seen.region, seen.checkpoint, seen.colour, seen.trusted) == (
        "510521",
        "510521-KK-0042",
        "blue",
        True,
    )
    assert not seen.is_match


def test_low_confidence_and_misread_plates_are_not_trusted_for_clones_nor_forwarded() -> None:
    assert take_in(hit_record(confidence=0.5), CAT, CLONE) == []
    assert (
        take_in(hit_record(plate="川A6ZE1N"), CAT, CLONE) == []
    )  # 3 letters in the serial: a likely misread
    (low,) = take_in(hit_record(confidence=0.5), CAT, None)  # before a zone is loaded, everything
    assert not Seen.from_row(orjson.loads(low.value or b"")).trusted


def test_a_hit_at_a_checkpoint_without_a_site_is_not_forwarded() -> None:
    assert take_in(hit_record(), CAT, CLONE, {"510521-KK-0001"}) == []
    assert len(take_in(hit_record(), CAT, CLONE, {"510521-KK-0042"})) == 1
    with pytest.raises(Skipped, match="undecodable"):  # not JSON: decode says why
        take_in(Record(CAT.in_hits("510521"), b"not json"), CAT, CLONE, {"510521-KK-0042"})


def test_only_what_a_rule_needs_is_taken_in() -> None:
    assert take_in(hit_record(), CAT, MULTI) == []  # no cloned-plate rule: plain hits are not needed
    border = EscalationRules(border=BorderRule(checkpoints=("X",)))
    with pytest.raises(Skipped, match="undecodable"):  # matches are always taken (temporary agreements)
        take_in(Record(CAT.matches, b"{}"), CAT, CLONE)
    with pytest.raises(Skipped, match="undecodable"):
        take_in(Record(CAT.matches, b"{}"), CAT, border)


def test_refused_hits_are_skipped_with_their_reason() -> None:
    with pytest.raises(Skipped, match="impersonation"):
        take_in(hit_record(region="500000"), CAT, CLONE)  # 510521's hit published on 500000's topic
    with pytest.raises(Skipped, match="undecodable"):
        take_in(Record(CAT.in_hits("510521"), b"not json"), CAT, CLONE)


def test_a_match_is_forwarded_by_plate_and_by_checkpoint_when_convoys_are_declared() -> None:
    m = Record(CAT.matches, encode(match()))
    both = EscalationRules(multi_region=MultiRegionRule(), convoy=ConvoyRule())
    by_plate, by_checkpoint = take_in(m, CAT, both)
    assert by_plate.key == "川A12345".encode() and by_plate.headers == [(MATCH_HEADER, m.value())]
    assert by_checkpoint.key == b"convoy|510521-KK-0042" and by_checkpoint.headers == [(KIND_HEADER, PASS)]
    low = EscalationRules(convoy=ConvoyRule(priorities=(Priority.LOW,)))
    assert [o.key for o in take_in(m, CAT, low)] == [by_plate.key]  # the entry's priority is not the rule's


@pytest.mark.parametrize(
    "over",
    [
        {},
        {"confidence": 0.5},  # below the rule's threshold
        {"confidence": None},
        {"plate": "川A6ZE1N"},  # 3 letters in the serial: a read that breaks an issuing rule
        {"plate_colour": None},
        {"hpzl": "02", "plate_type": None},  # a Chinese field name: the model decodes it
        {"pass_time": "2024-05-01 08:30:00"},  # a platform's local time: the model decodes it
    ],
)
def test_the_lean_reader_sees_a_hit_as_the_model_does(over: dict[str, object]) -> None:
    data = {k: v for k, v in hit_data(**over).items() if v is not None}
    raw = orjson.dumps(data)
    model = CheckpointHit.model_validate(data)
    for threshold in (0.0, 0.9):
        assert Seen.of_view(read_hit(raw), threshold) == Seen.of_hit(model, threshold)
