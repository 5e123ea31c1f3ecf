"""`rax connector list | describe | run` and `rax watchlist load`, through the real CLI and broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from click.testing import CliRunner

from connectors.registry import BUILTIN
from ops.cli import main
from ops.keys import KeyStore
from schemas.codec import decode_command
from schemas.crypto import MAC_HEADER, MAC_KEY_HEADER
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.integration.connectors.drivers import _WL_HEADER, _command
from tests.support.kafka import consume_all, create_topics


def test_list_names_every_builtin_connector_and_what_it_publishes() -> None:
    result = CliRunner().invoke(main, ["connector", "list"])
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split()[1] for line in result.output.splitlines()}
    assert rows == {
        n: k for n, k in zip(BUILTIN, ["hits", "hits", "watchlist", "alerts", "hits"], strict=True)
    }


def test_describe_prints_the_config_schema_with_descriptions() -> None:
    result = CliRunner().invoke(main, ["connector", "describe", "simulator"])
    schema = orjson.loads(result.output)
    assert schema["properties"]["rate"]["description"].startswith("Mean hits per second")
    assert CliRunner().invoke(main, ["connector", "describe", "nope"]).exit_code == 1


def test_run_refuses_an_invalid_config_with_the_reason(kafka: KafkaSettings) -> None:
    args = ["connector", "run", "cap", "--region", "510000", "--bootstrap", kafka.bootstrap_servers]
    result = CliRunner().invoke(main, args)  # neither a directory nor a port
    assert result.exit_code == 1 and "set a directory, a port, or both" in result.output


def test_run_exits_2_with_a_hint_when_the_topic_does_not_exist(kafka: KafkaSettings, tmp_path: Path) -> None:
    args = ["connector", "run", "simulator", "--region", "510000", "--namespace", "nosuchzone",
            "--bootstrap", kafka.bootstrap_servers, "--max-records", "10", "--rate", "0"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "rax zone apply" in result.output


def test_watchlist_load_publishes_every_command_and_exits_1_on_a_rejected_line(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    create_topics(kafka, catalogue.region_topics("510000", hit_partitions=3) + catalogue.shared_topics(3))
    bad = _command(9).replace("stolen_vehicle", "nonsense")
    (tmp_path / "wl.csv").write_text(_WL_HEADER + _command(1) + _command(2) + bad, encoding="utf-8")
    args = ["watchlist", "load", str(tmp_path / "wl.csv"), "--region", "510000",
            "--namespace", catalogue.namespace, "--bootstrap", kafka.bootstrap_servers]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "2 command(s) published, 1 rejected" in result.output
    commands = [decode_command(m.value()) for m in consume_all(kafka, catalogue.in_watchlist("510000"))]
    assert sorted(c.entry.plate for c in commands) == ["川A00001", "川A00002"]  # type: ignore[union-attr]
    again = CliRunner().invoke(main, args)  # loading again re-sends the same command ids
    ids = {decode_command(m.value()).command_id for m in consume_all(kafka, catalogue.in_watchlist("510000"))}
    assert again.exit_code == 1 and ids == {c.command_id for c in commands}


def test_watchlist_load_attaches_the_regions_mac_where_the_processors_require_it(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    create_topics(kafka, catalogue.region_topics("510000", hit_partitions=3) + catalogue.shared_topics(3))
    keys = KeyStore(tmp_path / "keys")
    key = keys.create_mac("510000", datetime.now(UTC) - timedelta(minutes=1))
    (tmp_path / "wl.csv").write_text(_WL_HEADER + _command(1), encoding="utf-8")
    mac_file = str(keys.mac_path("510000"))
    args = ["watchlist", "load", str(tmp_path / "wl.csv"), "--region", "510000", "--namespace",
            catalogue.namespace, "--bootstrap", kafka.bootstrap_servers, "--mac-key", mac_file]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (m,) = consume_all(kafka, catalogue.in_watchlist("510000"))
    headers = dict(m.headers() or [])
    assert headers[MAC_KEY_HEADER] == key.key_id.encode() and MAC_HEADER in headers


def test_watchlist_load_prints_each_refused_line_with_its_number_and_reason(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    create_topics(kafka, catalogue.region_topics("510000", hit_partitions=3) + catalogue.shared_topics(3))
    multi_line = _command(3).replace(",刑诉法,,", ',刑诉法,"白色轿车\n左后门有划痕",', 1)
    bad = _command(4).replace("stolen_vehicle", "nonsense")
    unclosed = 'place,REF-5,川A00005,blue,"never closed\n'
    path = tmp_path / "wl.csv"
    path.write_bytes((_WL_HEADER + _command(1) + multi_line + bad + unclosed).encode("gbk"))
    args = ["watchlist", "load", str(path), "--region", "510000", "--encoding", "gbk",
            "--namespace", catalogue.namespace, "--bootstrap", kafka.bootstrap_servers]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "2 command(s) published, 2 rejected" in result.stdout
    refused = result.stderr.splitlines()
    assert len(refused) == 2
    assert "(line 5)" in refused[0] and "entry.category" in refused[0]
    assert "(line 6)" in refused[1] and "quoted field is not closed at the end of the file" in refused[1]
    commands = [decode_command(m.value()) for m in consume_all(kafka, catalogue.in_watchlist("510000"))]
    described = [c.entry.description for c in commands if c.op == "place"]
    assert "白色轿车\n左后门有划痕" in described
