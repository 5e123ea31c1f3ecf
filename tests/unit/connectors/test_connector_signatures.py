"""A connector with the region's key store signs each batch it produces, and the alerts in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest

from connectors.sdk import Batch, FatalError, RecordKind, Runtime, RuntimeConfig, Source, SourceRecord
from connectors.simulator import SimulatorConfig
from ops.keys import KeyStore
from schemas.alert_signatures import verify_alert
from schemas.alerts import Alert
from schemas.codec import decode, encode
from schemas.crypto import MAC_HEADER, SIG_HEADER
from schemas.hits import CheckpointHit
from schemas.kafka_settings import KafkaSettings
from schemas.mac_keys import new_mac_key
from schemas.topics import Catalogue
from streams.runtime import ClientFactory
from streams.runtime.settings import SigPolicy
from streams.runtime.signatures import BatchVerifier, ZoneSignKeys
from tests.unit.connectors.test_connector_macs import _key_file, _Producer
from tests.unit.models_factories import alert_data, hit_data

REGION = "510521"
CAT = Catalogue("rax")


class _Hits(Source[SimulatorConfig]):
    """Validated records (one of them bad) and pre-encoded ones in one batch, then exhausted."""

    name, kind, config_model = "hits", RecordKind.HITS, SimulatorConfig
    encoded: ClassVar[list[tuple[bytes, bytes]]] = []

    def poll(self, timeout: float) -> Batch:
        records = [
            SourceRecord(value=hit_data(region=REGION, plate=f"川A1234{i}"), raw=b"r") for i in range(5)
        ]
        records.append(SourceRecord(value={"plate": "bad"}, raw=b"bad"))
        return Batch(records=records, encoded=self.encoded, end=True)


class _Alerts(Source[SimulatorConfig]):
    name, kind, config_model = "alerts", RecordKind.ALERTS, SimulatorConfig

    def poll(self, timeout: float) -> Batch:
        return Batch(records=[SourceRecord(value=alert_data(), raw=b"a")], end=True)


def _run(monkeypatch: pytest.MonkeyPatch, source: type[Source[Any]], store: Path, **extra: Any) -> _Producer:
    producer = _Producer()
    monkeypatch.setattr(ClientFactory, "producer", lambda self, extra=None: producer)
    config = RuntimeConfig(region=REGION, shutdown_timeout_s=1, sign_key_store=store, **extra)
    Runtime(source, SimulatorConfig(), config, KafkaSettings()).run()
    return producer


def _verifier(tmp_path: Path, store: KeyStore) -> BatchVerifier:
    path = tmp_path / "zone-keys.json"
    path.write_bytes(orjson.dumps([k.model_dump(mode="json") for k in store.keys(REGION)]))
    keys = ZoneSignKeys(path)
    keys.load()
    return BatchVerifier(SigPolicy.REQUIRED, keys, CAT)


def test_every_produced_record_carries_a_batch_signature_that_verifies_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = KeyStore(tmp_path / "keys")
    store.create(REGION, datetime.now(UTC) - timedelta(days=1))
    hit = CheckpointHit.model_validate(hit_data(region=REGION, plate="川A54321"))
    monkeypatch.setattr(_Hits, "encoded", [(b"k", encode(hit))])
    mac_file = _key_file(tmp_path, new_mac_key(REGION, datetime.now(UTC) - timedelta(days=1)))
    producer = _run(monkeypatch, _Hits, store.root, sign_batch_max=4, mac_key_file=mac_file)
    signed = [r for r in producer.sent if r[0] == CAT.in_hits(REGION)]
    assert len(signed) == 6  # five records and the encoded one; the bad one went to the DLQ unsigned
    verifier, now = _verifier(tmp_path, store), datetime.now(UTC).timestamp()
    for topic, key, value, headers in signed:
        names = [name for name, _ in headers]
        assert MAC_HEADER in names and SIG_HEADER in names
        assert verifier.problem(topic, key, value, headers, now) is None
    assert verifier.cache.verifies == 2  # six records in batches of at most four: two signatures
    topic, key, value, headers = signed[0]
    assert verifier.problem(topic, key, (value or b"") + b" ", headers, now) is not None


def test_an_alert_carries_its_regions_signature(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = KeyStore(tmp_path / "keys")
    store.create(REGION, datetime(2020, 1, 1, tzinfo=UTC))  # valid when the factory's alert was sent
    producer = _run(monkeypatch, _Alerts, store.root / REGION)  # the region's own directory also serves
    [(topic, key, value, headers)] = producer.sent
    alert = decode(value or b"", Alert)
    assert verify_alert(alert, store.keys(REGION)).status == "valid"
    assert (
        _verifier(tmp_path, store).problem(topic, key, value, headers, datetime.now(UTC).timestamp()) is None
    )


def test_a_store_without_a_valid_sign_key_is_fatal_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(FatalError, match="rax keys create"):
        _run(monkeypatch, _Alerts, tmp_path / "nothing")
    store = KeyStore(tmp_path / "keys")
    store.create(REGION, datetime.now(UTC) - timedelta(days=1))
    for pem in (store.root / REGION).glob("*.pem"):
        pem.chmod(0o644)
    with pytest.raises(FatalError, match="chmod 600"):
        _run(monkeypatch, _Alerts, store.root)
