"""`rax broker start | status | stop` brings up a real Kafka and leaves nothing running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from ops.kafka.ports import free_port, port_is_free
from schemas.kafka_settings import KafkaSettings
from streams.runtime import ClientFactory
from tests.support.kafka import cache_dir


def _rax(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAX_HOME": str(home), "RAX_CACHE": str(cache_dir())}
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1]
    except OSError:
        return False
    return state != "Z"


def test_start_status_stop_leaves_nothing_running(tmp_path: Path) -> None:
    port = free_port()
    started = _rax(tmp_path, "broker", "start", "--port", str(port), "--profile", "quick")
    assert started.returncode == 0, started.stderr
    assert f"ready on 127.0.0.1:{port}" in started.stdout

    status = _rax(tmp_path, "broker", "status", "--json")
    assert status.returncode == 0, status.stdout + status.stderr
    info = orjson.loads(status.stdout)
    pids = [n["pid"] for n in info["nodes"]]
    assert info["running"] and all(_alive(p) for p in pids)
    # a real broker: it answers a metadata request
    settings = KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}")
    md = ClientFactory(settings, "test-admin").admin().list_topics(timeout=10)
    assert len(md.brokers) == 1

    again = _rax(tmp_path, "broker", "start", "--port", str(port), "--profile", "quick")
    assert again.returncode == 1 and "already running" in again.stderr

    stopped = _rax(tmp_path, "broker", "stop")
    assert stopped.returncode == 0 and str(pids[0]) in stopped.stdout
    assert not any(_alive(p) for p in pids)
    assert port_is_free(port)
    after = _rax(tmp_path, "broker", "status")
    assert after.returncode == 1 and "no local broker" in after.stdout


def test_missing_java_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "RAX_HOME": str(tmp_path),
        "RAX_CACHE": str(tmp_path / "empty-cache"),
        "PATH": "/nonexistent",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "ops.cli", "broker", "start", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "Maven" in proc.stderr or "Java" in proc.stderr
