"""Helpers of the control-app broker tests: the zone, a worker subprocess, producing and reading records.

No tests here; the control integration and fault tests import it. The worker runs as a real
subprocess (``python -m ops.cli run control``), so SIGKILL is real.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Message, Producer

from ops.kafka.ports import free_port
from ops.zone import apply_zone, load_zone_file
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from schemas.zone import Zone
from tests.support.kafka import consume_all

ROOT = Path(__file__).resolve().parents[2]
ZONE_FILE = ROOT / "ops" / "zones" / "chuanyu.yaml"


def chuanyu(kafka: KafkaSettings, cat: Catalogue) -> Zone:
    """Apply the 川渝 example zone (topics + zone record) in ``cat``'s namespace."""
    zone = load_zone_file(ZONE_FILE)
    apply_zone(zone, kafka, cat, secure=False)
    return zone


class ControlWorker:
    """`rax run control` as a subprocess; started by ``start``, ended by ``stop`` or ``kill``."""

    def __init__(self, kafka: KafkaSettings, cat: Catalogue, log_dir: Path, *extra: str) -> None:
        self.kafka, self.cat, self.extra = kafka, cat, extra
        self.port = free_port()
        self.log_dir = log_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 90.0) -> None:
        self.starts += 1
        cmd = [sys.executable, "-m", "ops.cli", "run", "control", "--bootstrap", self.kafka.bootstrap_servers,
               "--namespace", self.cat.namespace, "--web-port", str(self.port), "--replication", "1",
               "--log-level", "info", *self.extra]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with (self.log_dir / f"control-{self.starts}.log").open("wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"control app exited with {self.proc.returncode}: {self.log_tail()}")
            status, _ = self.get("/ready")
            if status == 200:
                return
            time.sleep(0.3)
        self.stop()  # never leave a worker behind
        raise TimeoutError(f"control app not ready after {timeout} s: {self.log_tail()}")

    def supervise(self) -> None:
        """Restart the worker if it stopped itself for a restart (exit code 75), as systemd would."""
        if self.proc is not None and self.proc.poll() == 75:
            self.start()

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except OSError:
            return 0, b""

    def metric(self, name: str, **labels: str) -> float:
        """The value of one sample on /metrics (0 when absent)."""
        _, body = self.get("/metrics")
        want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in body.decode().splitlines():
            if line.startswith("#"):
                continue
            series, _, value = line.rpartition(" ")
            sname, _, rest = series.partition("{")
            got = ",".join(sorted(p for p in rest.rstrip("}").split(",") if p))
            if sname == name and got == want:
                return float(value)
        return 0.0

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def log_lines(self, *words: str) -> str:
        """The lines of every start's log that contain one of ``words``."""
        out = []
        for n in range(1, self.starts + 1):
            path = self.log_dir / f"control-{n}.log"
            text = path.read_text(errors="replace") if path.exists() else ""
            out += [f"[{n}] {line}" for line in text.splitlines() if any(w in line for w in words)]
        return "\n".join(out)

    def log_tail(self, lines: int = 40) -> str:
        path = self.log_dir / f"control-{self.starts}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def producer(kafka: KafkaSettings) -> Producer:
    return Producer(
        {**kafka.client_config(), "enable.idempotence": True, "acks": "all", "partitioner": "murmur2_random"}
    )


def publish(kafka: KafkaSettings, topic: str, records: list[tuple[bytes, bytes | None]]) -> None:
    """Produce ``(key, value)`` records to ``topic`` and wait until every one is acknowledged."""
    p = producer(kafka)
    errors: list[Any] = []
    for key, value in records:
        p.produce(
            topic, key=key, value=value, on_delivery=lambda err, _m: errors.append(err) if err else None
        )
    assert p.flush(30) == 0 and not errors, errors


def read(kafka: KafkaSettings, topic: str) -> list[Message]:
    return consume_all(kafka, topic)


def wait_for(predicate: Any, timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def deliveries_by_subject(kafka: KafkaSettings, cat: Catalogue, regions: list[str]) -> dict[str, list[Any]]:
    """Every delivery on the regions' out topics, as dicts, grouped by alert identifier / entry id."""
    out: dict[str, list[Any]] = defaultdict(list)
    for region in regions:
        for msg in read(kafka, cat.out(region)):
            d = orjson.loads(msg.value())
            subject = (d.get("alert") or {}).get("identifier") or (d.get("breach") or {}).get("delivery_id")
            out[subject or ""].append(d)
    return out


def dead_letters(kafka: KafkaSettings, cat: Catalogue) -> list[Message]:
    return read(kafka, cat.dlq("control"))


def header(msg: Message, name: str) -> str | None:
    for key, value in msg.headers() or []:
        if key == name:
            return bytes(value).decode()
    return None
