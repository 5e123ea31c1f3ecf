"""`rax centre tail` shows each delivery once, across restarts; `rax centre ack` publishes the answer."""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from ops.cli import main
from schemas.acks import Acknowledgement
from schemas.codec import decode, encode
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.support.hotpath import apply_example_zone, producer
from tests.support.kafka import consume_all
from tests.unit.models_factories import match_delivery


def _tail(kafka: KafkaSettings, cat: Catalogue, home: Path, *extra: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(
        main,
        [
            "centre",
            "tail",
            "--region",
            "510521",
            "--namespace",
            cat.namespace,
            "--json",
            "--bootstrap",
            kafka.bootstrap_servers,
            "--idle-exit",
            "3",
            *extra,
        ],
        env={"RAX_HOME": str(home)},
    )
    assert result.exit_code == 0, result.output
    return [orjson.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_tail_drops_duplicates_across_restarts_and_ack_is_published(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = catalogue
    apply_example_zone(kafka, cat)
    d = match_delivery(recipient="510521")
    assert d.recipient == "510521"
    p = producer(kafka)
    for _ in range(3):  # a replaying processor may write the same delivery again
        p.produce(cat.out("510521"), encode(d), d.delivery_id.encode())
    assert p.flush(10) == 0

    first = _tail(kafka, cat, tmp_path)
    assert [r["delivery_id"] for r in first] == [d.delivery_id]

    p.produce(cat.out("510521"), encode(d), d.delivery_id.encode())  # again, after the client stopped
    assert p.flush(10) == 0
    # a restarted client with a fresh consumer group still knows the id from its local store
    assert _tail(kafka, cat, tmp_path) == []
    # another named client (a wall screen) has its own store: it sees the four copies as one delivery
    assert [r["delivery_id"] for r in _tail(kafka, cat, tmp_path, "--name", "wall-screen")] == [d.delivery_id]

    result = CliRunner().invoke(
        main,
        [
            "centre",
            "ack",
            d.delivery_id,
            "--region",
            "510521",
            "--outcome",
            "intercepted",
            "--operator",
            "051234",
            "--namespace",
            cat.namespace,
            "--bootstrap",
            kafka.bootstrap_servers,
        ],
    )
    assert result.exit_code == 0, result.output
    (ack,) = [decode(m.value() or b"", Acknowledgement) for m in consume_all(kafka, cat.in_acks("510521"))]
    assert ack.delivery_id == d.delivery_id and ack.outcome.value == "intercepted"
