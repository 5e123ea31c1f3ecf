"""Helpers for control-app tests on a real broker: the app in a thread or a subprocess, records, waits.

``running_control`` runs the real ``StreamLoop`` in a thread of the test process; ``ControlWorker`` runs
``rax run control`` as a subprocess (so SIGKILL is real); ``wait_until_idle`` waits on the group's
committed offsets. The processor without a broker: ``tests.support.control_harness``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Message
from prometheus_client import CollectorRegistry

from ops.kafka.ports import free_port
from schemas.alerts import Alert
from schemas.codec import encode
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue, TopicKind
from streams.control.config import ControlSettings
from streams.control.processor import ControlProcessor
from streams.runtime import ClientFactory, RuntimeSettings, StreamLoop
from tests.support.hotpath import producer, running_loop
from tests.support.kafka import consume_all, unique, wait_until_committed

__all__ = [
    "AlertSender",
    "ControlWorker",
    "control_settings",
    "dead_letters",
    "deliveries_by_subject",
    "get",
    "header",
    "publish",
    "running_control",
    "wait_for",
    "wait_until_idle",
]

ROOT = Path(__file__).resolve().parents[2]


def control_settings(kafka: KafkaSettings, cat: Catalogue, **over: Any) -> ControlSettings:
    """Settings for a test worker: fields of ``ControlSettings`` or of ``RuntimeSettings`` in ``over``."""
    runtime_fields = set(RuntimeSettings.model_fields)
    runtime = RuntimeSettings(
        kafka=kafka,
        namespace=cat.namespace,
        batch_timeout_s=0.02,
        **{k: v for k, v in over.items() if k in runtime_fields},
    )
    return ControlSettings(runtime=runtime, **{k: v for k, v in over.items() if k not in runtime_fields})


@contextmanager
def running_control(kafka: KafkaSettings, cat: Catalogue, **over: Any) -> Iterator[StreamLoop]:
    """The control app's loop in a thread of the test process (web on a free port), stopped at the end."""
    over.setdefault("web_port", 0)
    settings = control_settings(kafka, cat, **over)
    registry = CollectorRegistry()
    processor = ControlProcessor(settings, ClientFactory(kafka, unique("test-control")), registry)
    with running_loop(StreamLoop(processor, settings.runtime, registry)) as loop:
        yield loop


def get(port: int, path: str) -> tuple[int, bytes]:
    """GET ``path`` of a web server on this machine: (status, body); (0, b"") if nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def publish(kafka: KafkaSettings, topic: str, records: list[tuple[bytes | None, bytes | None]]) -> None:
    """Produce ``(key, value)`` records to ``topic``, in order, and wait until every one is acknowledged."""
    p = producer(kafka)
    errors: list[Any] = []
    for key, value in records:
        p.produce(topic, value, key, on_delivery=lambda err, _m: errors.append(err) if err else None)
    assert p.flush(30) == 0 and not errors, errors


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def deliveries_by_subject(kafka: KafkaSettings, cat: Catalogue, regions: list[str]) -> dict[str, list[Any]]:
    """Every delivery on the regions' out topics (read committed), as dicts, by alert id or breached id."""
    out: dict[str, list[Any]] = defaultdict(list)
    for region in regions:
        for msg in consume_all(kafka, cat.out(region)):
            d = orjson.loads(msg.value() or b"{}")
            subject = (d.get("alert") or {}).get("identifier") or (d.get("breach") or {}).get("delivery_id")
            out[subject or ""].append(d)
    return out


def dead_letters(kafka: KafkaSettings, cat: Catalogue) -> list[Message]:
    return consume_all(kafka, cat.dlq("control"))


def header(msg: Message, name: str) -> str | None:
    for key, value in msg.headers() or []:
        if key == name:
            return bytes(value).decode()
    return None


def input_topics(cat: Catalogue, regions: list[str]) -> list[str]:
    """The control app's inputs: every region's alerts, watchlist and acks topics, and its inbox."""
    kinds = (TopicKind.ALERTS, TopicKind.WATCHLIST_COMMANDS, TopicKind.ACKS)
    return [cat.in_topic(r, k) for r in regions for k in kinds] + [cat.control_inbox]


def wait_until_idle(kafka: KafkaSettings, cat: Catalogue, regions: list[str], timeout: float = 60.0) -> None:
    """Wait until the control group has committed every record of every input and of the inbox.

    The inbox is read after the inputs: a forwarded record is in the inbox before its input offset is
    committed, so once both are done nothing read so far is waiting to be decided.
    """
    wait_until_committed(kafka, f"{cat.processor_prefix}control", input_topics(cat, regions), timeout)


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
               "--namespace", self.cat.namespace, "--web-port", str(self.port), *self.extra]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if self.kafka.username:  # an identity of a secured broker: its password in the env, not in `ps`
            cmd += ["--username", self.kafka.username]
            cmd += ["--ca", self.kafka.ssl_ca_location] if self.kafka.ssl_ca_location else []
            env["RAX_KAFKA_PASSWORD"] = self.kafka.password.get_secret_value() if self.kafka.password else ""
        with (self.log_dir / f"control-{self.starts}.log").open("wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"control app exited with {self.proc.returncode}: {self.log_tail()}")
            if self.get("/ready")[0] == 200:
                return
            time.sleep(0.2)
        self.stop()  # never leave a worker behind
        raise TimeoutError(f"control app not ready after {timeout} s: {self.log_tail()}")

    def get(self, path: str) -> tuple[int, bytes]:
        return get(self.port, path)

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

    def log_tail(self, lines: int = 40) -> str:
        path = self.log_dir / f"control-{self.starts}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


class AlertSender(threading.Thread):
    """Publishes ``alerts`` of their sender region at ``rate`` per second in a thread (start, join);
    ``halt()`` ends the stream early, and ``sent`` is what was published."""

    def __init__(self, kafka: KafkaSettings, cat: Catalogue, alerts: list[Alert], rate: float) -> None:
        super().__init__(name="alert-sender")
        self.kafka, self.cat, self.alerts, self.rate = kafka, cat, alerts, rate
        self.sent: list[Alert] = []
        self._halt = threading.Event()

    def halt(self) -> None:
        self._halt.set()
        self.join(60)

    def run(self) -> None:
        p = producer(self.kafka)
        start = time.monotonic()
        for n, a in enumerate(self.alerts):
            if self._halt.wait(max(0.0, start + n / self.rate - time.monotonic())):
                break
            p.produce(self.cat.in_alerts(a.sender_region), encode(a), a.identifier.encode())
            self.sent.append(a)
            p.poll(0)
        assert p.flush(30) == 0
