"""`rax dlq list | replay`: chosen dead letters go back to their source topic with their original bytes."""

from __future__ import annotations

import orjson
from click.testing import CliRunner

from ops.cli import main
from ops.dlq.replay import REPLAY_HEADER
from schemas.dlq import DeadLetter, DlqReason, DlqStage, dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.support.hotpath import apply_example_zone, producer
from tests.support.kafka import consume_all


def test_replay_sends_the_chosen_dead_letters_back(kafka: KafkaSettings, catalogue: Catalogue) -> None:
    cat = catalogue
    apply_example_zone(kafka, cat)
    source = cat.in_hits("510521")
    p = producer(kafka)
    for i, reason in enumerate(
        [DlqReason.SCHEMA_VIOLATION, DlqReason.REGION_MISMATCH, DlqReason.SCHEMA_VIOLATION]
    ):
        letter = DeadLetter(
            reason=reason,
            stage=DlqStage.DECODE,
            component="hotpath",
            error=f"bad {i}",
            source_topic=source,
            source_partition=0,
            source_offset=i,
        )
        p.produce(cat.dlq("hotpath"), f"original-{i}".encode(), b"plate", headers=dlq_headers(letter))
    assert p.flush(10) == 0
    base = ["--namespace", cat.namespace, "--bootstrap", kafka.bootstrap_servers]

    listed = CliRunner().invoke(main, ["dlq", "list", "hotpath", "--reason", "schema_violation", *base])
    assert listed.exit_code == 0, listed.output
    rows = [orjson.loads(line) for line in listed.output.splitlines()]
    assert [r["error"] for r in rows] == ["bad 0", "bad 2"]

    replayed = CliRunner().invoke(
        main, ["dlq", "replay", "hotpath", "--reason", "schema_violation", "--yes", *base]
    )
    assert replayed.exit_code == 0 and "replayed 2 records" in replayed.output, replayed.output
    back = consume_all(kafka, source)
    assert sorted(m.value() for m in back) == [b"original-0", b"original-2"]
    assert all(m.key() == b"plate" for m in back)
    headers = [dict(m.headers() or []) for m in back]
    assert all(h[REPLAY_HEADER].startswith(cat.dlq("hotpath").encode()) for h in headers)


def test_listing_a_dead_letter_topic_that_does_not_exist_says_so(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    apply_example_zone(kafka, catalogue)
    base = ["--namespace", catalogue.namespace, "--bootstrap", kafka.bootstrap_servers]
    # 440300 (深圳) is a valid region, but not a member of the example zone: it has no DLQ topics
    listed = CliRunner().invoke(main, ["dlq", "list", "connector", "--region", "440300", *base])
    assert listed.exit_code == 1 and isinstance(listed.exception, SystemExit), listed.output
    assert f"cannot read {catalogue.dlq('connector', '440300')}" in listed.output
