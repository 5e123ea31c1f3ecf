"""A dead letter is replayed only to an input of the region it came from; every other target is refused."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ops.cli.dlq_cmd import _selector
from ops.cli.dlq_cmd import command as dlq_command
from ops.dlq.policy import decide
from ops.dlq.replay import DeadRecord
from schemas.dlq import DeadLetter, DlqReason, DlqStage
from schemas.replay_audit import ReplayRefusal
from schemas.topics import Catalogue

CAT = Catalogue("rax")
A, B = "510521", "510000"


def _letter(source: str | None, component: str = "connector") -> DeadLetter:
    return DeadLetter(DlqReason.SCHEMA_VIOLATION, DlqStage.DECODE, component, "bad", source_topic=source)


@pytest.mark.parametrize("topic", [CAT.in_hits(A), CAT.in_alerts(A), CAT.in_watchlist(A), CAT.in_acks(A)])
def test_a_regions_dead_letter_goes_back_to_its_own_inputs(topic: str) -> None:
    d = decide(CAT, CAT.dlq("connector", A), _letter(topic))
    assert d.allowed and d.region == A and d.target == topic


@pytest.mark.parametrize(
    ("source", "refusal"),
    [
        (CAT.in_hits(B), ReplayRefusal.OTHER_REGION),  # a forged hit for another region
        (CAT.zone, ReplayRefusal.NOT_AN_INPUT),
        (CAT.watchlist, ReplayRefusal.NOT_AN_INPUT),
        (CAT.audit, ReplayRefusal.NOT_AN_INPUT),
        (CAT.out(A), ReplayRefusal.NOT_AN_INPUT),
        (CAT.control_inbox, ReplayRefusal.NOT_AN_INPUT),
        (CAT.dlq("connector", A), ReplayRefusal.NOT_AN_INPUT),
        ("rax.in.510521.hits.extra", ReplayRefusal.NOT_AN_INPUT),
        ("rax.in.51.hits", ReplayRefusal.NOT_AN_INPUT),
        ("other.in.510521.hits", ReplayRefusal.NOT_AN_INPUT),
        (None, ReplayRefusal.NO_SOURCE_TOPIC),
    ],
)
def test_every_other_target_is_refused_with_a_reason(source: str | None, refusal: ReplayRefusal) -> None:
    d = decide(CAT, CAT.dlq("connector", A), _letter(source))
    assert not d.allowed and d.refusal is refusal and d.region == A
    assert d.message and (source is None or str(source.split(".")[-1]) in d.message)


def test_a_cut_dead_letter_is_not_replayed() -> None:
    d = decide(CAT, CAT.dlq("connector", A), _letter(CAT.in_hits(A)), truncated=True)
    assert d.refusal is ReplayRefusal.TRUNCATED and "rax.dlq.truncated" in d.message


def test_a_letter_without_valid_headers_is_refused() -> None:
    assert decide(CAT, CAT.dlq("centre", A), None).refusal is ReplayRefusal.NO_SOURCE_TOPIC


def test_a_processors_dead_letter_goes_back_as_the_region_of_its_source_topic() -> None:
    d = decide(CAT, CAT.dlq("hotpath"), _letter(CAT.in_hits(B), "hotpath"))
    assert d.allowed and d.region == B and d.target == CAT.in_hits(B)


def test_an_unprintable_target_is_escaped_in_the_message() -> None:
    d = decide(CAT, CAT.dlq("connector", A), _letter("rax.zone\x1b[2J"))
    assert d.refusal is ReplayRefusal.NOT_AN_INPUT and "\x1b" not in d.message


def test_a_topic_that_is_no_dead_letter_topic_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a dead-letter topic"):
        decide(CAT, CAT.in_hits(A), _letter(CAT.in_hits(A)))


def test_catalogue_region_dead_letter_topics() -> None:
    assert CAT.dlq("connector", A) == "rax.dlq.510521.connector"
    assert CAT.parse_dlq_topic("rax.dlq.510521.centre") == ("centre", A)
    assert CAT.parse_dlq_topic("rax.dlq.hotpath") == ("hotpath", None)
    assert CAT.parse_dlq_topic("rax.dlq.connector") is None  # the old shared topic is gone
    with pytest.raises(ValueError, match="per region"):
        CAT.dlq("connector")
    with pytest.raises(ValueError, match="one dead-letter topic"):
        CAT.dlq("hotpath", A)
    assert {t.name for t in CAT.region_topics(A)} >= {CAT.dlq("connector", A), CAT.dlq("centre", A)}


def test_a_partition_and_an_offset_choose_one_dead_letter() -> None:
    letter = _letter(CAT.in_hits(B), "hotpath")
    records = [DeadRecord(p, 0, None, b"v", letter) for p in (0, 1, 2)]
    assert [r.partition for r in records if _selector(None, None, (0,))(r)] == [0, 1, 2]
    assert [r.partition for r in records if _selector(None, None, (0,), 1)(r)] == [1]


@pytest.mark.parametrize("subcommand", ["list", "replay"])
def test_an_unknown_reason_is_a_usage_error_not_an_empty_answer(subcommand: str) -> None:
    result = CliRunner().invoke(
        dlq_command, [subcommand, "hotpath", "--reason", "schema_violaton", "--bootstrap", "127.0.0.1:1"]
    )
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--reason'" in result.output and "schema_violation" in result.output
