"""The local broker's secrets on disk: no password in server.properties, private files and directories;
and the settings its properties must carry."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ops.kafka.private import lock_down, private_dir, write_private
from ops.kafka.properties import (
    ABORT_CHECK_MS,
    CLEANER_IO_BYTES_PER_S,
    NodeLayout,
    jaas_config,
    render_properties,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_secured_nodes_properties_hold_no_password(tmp_path: Path) -> None:
    node = NodeLayout(1, 9092, 9093, tmp_path / "data")
    text = render_properties(node, [node], secure=True, tls_dir=tmp_path / "tls")
    assert "password" not in text.lower() and "jaas" not in text
    assert "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512" in text
    assert "super.users=User:admin;User:ANONYMOUS" in text


def test_the_jaas_file_names_the_brokers_login_and_refuses_what_would_break_it() -> None:
    text = jaas_config("admin", "0123abcd")
    assert text.startswith("KafkaServer {") and 'username="admin"' in text and 'password="0123abcd";' in text
    with pytest.raises(ValueError, match="quotes"):
        jaas_config("admin", 'a"; evil="')


def test_write_private_makes_even_an_existing_world_readable_file_0600(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("old")
    path.chmod(0o644)
    write_private(path, "new")
    assert path.read_text() == "new" and _mode(path) == 0o600
    (tmp_path / "link").symlink_to(path)
    with pytest.raises(OSError):
        write_private(tmp_path / "link", "through a link")  # never follows a planted symlink


def test_private_dir_and_lock_down(tmp_path: Path) -> None:
    top = private_dir(tmp_path / "a" / "b")
    assert _mode(top) == 0o700
    (top / "c").mkdir(mode=0o755)
    (top / "c" / "key.pem").write_text("k")
    (top / "c" / "key.pem").chmod(0o644)
    (top / "run.sh").write_text("#!/bin/sh")
    (top / "run.sh").chmod(0o755)
    lock_down(top)
    assert _mode(top / "c") == 0o700 and _mode(top / "c" / "key.pem") == 0o600
    assert _mode(top / "run.sh") == 0o700  # the owner's bits stay, others' go


@pytest.mark.parametrize("nodes", [1, 3])
def test_every_node_paces_its_cleaner_and_aborts_timed_out_transactions_promptly(
    tmp_path: Path, nodes: int
) -> None:
    layouts = [NodeLayout(i, 9092 + i, 9192 + i, tmp_path / str(i)) for i in range(1, nodes + 1)]
    for node in layouts:
        lines = render_properties(node, layouts, secure=nodes == 3).splitlines()
        assert f"log.cleaner.io.max.bytes.per.second={CLEANER_IO_BYTES_PER_S}" in lines
        assert f"transaction.abort.timed.out.transaction.cleanup.interval.ms={ABORT_CHECK_MS}" in lines
    assert 4 * 1024 * 1024 <= CLEANER_IO_BYTES_PER_S <= 32 * 1024 * 1024  # paced, yet ahead of the writes
    assert ABORT_CHECK_MS <= 1000  # Kafka's 10 s default added up to 10 s to a killed worker's pause
    compose = (Path(__file__).parents[2] / "docker-compose.yml").read_text()
    assert f"KAFKA_LOG_CLEANER_IO_MAX_BYTES_PER_SECOND: {CLEANER_IO_BYTES_PER_S}" in compose
    assert f"KAFKA_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS: {ABORT_CHECK_MS}" in compose
