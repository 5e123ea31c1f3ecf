"""A connector with a MAC key attaches rax.mac to every record it produces, by the SDK's one producer path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from connectors.sdk import Batch, FatalError, RecordKind, Runtime, RuntimeConfig, Source, SourceRecord
from connectors.simulator import SimulatorConfig
from ops.kafka.private import private_dir, write_private
from schemas.codec import encode
from schemas.crypto import MAC_HEADER, MAC_KEY_HEADER, verify_record_mac
from schemas.hits import CheckpointHit
from schemas.kafka_settings import KafkaSettings
from schemas.mac_keys import MacKey, dump_mac_keys, new_mac_key
from schemas.topics import Catalogue
from streams.runtime import ClientFactory
from tests.unit.models_factories import hit_data

REGION = "510521"
TOPIC = Catalogue("rax").in_hits(REGION)


class _Producer:
    """Acknowledges everything at the next poll and keeps what it was given."""

    def __init__(self) -> None:
        self.queued: list[tuple[tuple[str, bytes | None, bytes | None, Any], Any]] = []
        self.sent: list[tuple[str, bytes | None, bytes | None, Any]] = []

    def produce(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: Any = None,
        on_delivery: Any = None,
    ) -> None:
        self.queued.append(((topic, key, value, headers), on_delivery))

    def poll(self, _timeout: float = 0) -> int:
        queued, self.queued = self.queued, []
        for record, callback in queued:
            self.sent.append(record)
            callback(None, None)
        return len(queued)

    def flush(self, timeout: float = 0) -> int:
        return self.poll()

    def __len__(self) -> int:
        return len(self.queued)


class _Both(Source[SimulatorConfig]):
    """One validated record and one pre-encoded one, then exhausted."""

    name, kind, config_model = "both", RecordKind.HITS, SimulatorConfig
    encoded: ClassVar[list[tuple[bytes, bytes]]] = []

    def poll(self, timeout: float) -> Batch:
        data = hit_data(region=REGION, plate="川A12345")
        return Batch(records=[SourceRecord(value=data, raw=b"raw")], encoded=self.encoded, end=True)


def _key_file(tmp_path: Path, *keys: MacKey) -> Path:
    path = private_dir(tmp_path / "keys") / f"{REGION}.mac"
    write_private(path, dump_mac_keys(keys))
    return path


def _run(monkeypatch: pytest.MonkeyPatch, key_file: Path) -> _Producer:
    producer = _Producer()
    monkeypatch.setattr(ClientFactory, "producer", lambda self, extra=None: producer)
    hit = CheckpointHit.model_validate(hit_data(region=REGION, plate="川A54321"))
    monkeypatch.setattr(_Both, "encoded", [(b"\xe5\xb7\x9dA54321", encode(hit))])
    config = RuntimeConfig(region=REGION, shutdown_timeout_s=1, mac_key_file=key_file)
    Runtime(_Both, SimulatorConfig(), config, KafkaSettings()).run()
    return producer


def test_every_record_carries_a_mac_under_the_newest_valid_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    old = new_mac_key(REGION, now - timedelta(days=9)).model_copy(
        update={"valid_until": now + timedelta(days=1)}
    )
    new = new_mac_key(REGION, now - timedelta(days=2))
    later = new_mac_key(REGION, now + timedelta(days=1))  # not yet valid: not used
    producer = _run(monkeypatch, _key_file(tmp_path, old, new, later))
    assert len(producer.sent) == 2
    for topic, key, value, headers in producer.sent:
        named = dict(headers)
        assert topic == TOPIC and named[MAC_KEY_HEADER] == new.key_id.encode()
        assert verify_record_mac(new.raw, topic, key, value, bytes.fromhex(named[MAC_HEADER].decode()))


def test_a_key_file_that_cannot_serve_is_fatal_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    with pytest.raises(FatalError, match="not only of 510521"):
        _run(monkeypatch, _key_file(tmp_path, new_mac_key("510000", now)))
    ended = new_mac_key(REGION, now - timedelta(days=9)).model_copy(update={"valid_until": now})
    with pytest.raises(FatalError, match="no MAC key of 510521 valid now"):
        _run(monkeypatch, _key_file(tmp_path, ended))
    path = _key_file(tmp_path, new_mac_key(REGION, now))
    path.chmod(0o644)
    with pytest.raises(FatalError, match="chmod 600"):
        _run(monkeypatch, path)
