"""Authenticated records on the secured broker: a region's records carry its MAC, a forged one is refused.

The region's connector (the SDK's runtime, with the region's MAC key file) publishes as the region's own
identity; a hostile producer with the same valid identity but not the key writes records whose MAC is
wrong or missing. The hot path runs as ``rax-processors`` with ``mac: required``: the forged records are
dead-lettered as ``forged`` and the region's records before and after them are delivered. After a
rotation a record MAC'd under the previous key (one in flight) still passes while the overlap lasts, and
the connector moves to the new key. A replay of the forged records' dead letters is refused again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import orjson
from prometheus_client import CollectorRegistry

from connectors.sdk import Batch, RecordKind, Runtime, RuntimeConfig, Source, SourceRecord
from connectors.simulator import SimulatorConfig
from ops.dlq.replay import read_dead_letters, replay
from ops.keys import KeyStore
from schemas.crypto import MAC_KEY_HEADER, mac_headers
from schemas.dlq import parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.mac_keys import MacKey, new_mac_key
from streams.runtime import ClientFactory
from streams.runtime.settings import MacPolicy
from tests.support.control import wait_for
from tests.support.hotpath import make_entry, publish_entries, running_worker
from tests.support.kafka import consume_all
from tests.support.secure import SecureZone
from tests.unit.models_factories import hit_data

REGION = "510521"
PLATES = [f"川A1000{i}" for i in range(1, 7)]


def _hit(plate: str) -> dict[str, Any]:
    return hit_data(
        event_id=str(uuid.uuid4()),
        region=REGION,
        plate=plate,
        checkpoint_id=f"{REGION}-K0001",
        pass_time=datetime.now(UTC).isoformat(),
    )


class _Hits(Source[SimulatorConfig]):
    """Hands over ``hits`` once, then says it is exhausted: a one-shot load."""

    name, kind, config_model = "test-hits", RecordKind.HITS, SimulatorConfig
    hits: ClassVar[list[dict[str, Any]]] = []

    def poll(self, timeout: float) -> Batch:
        return Batch(records=[SourceRecord(value=h, raw=b"") for h in self.hits], end=True)


def _connector(kafka: KafkaSettings, namespace: str, key_file: Path, *hits: dict[str, Any]) -> None:
    """The region's connector publishes ``hits`` with its MAC key file, as the region's identity."""
    _Hits.hits = list(hits)
    config = RuntimeConfig(region=REGION, namespace=namespace, mac_key_file=key_file)
    report = Runtime(_Hits, SimulatorConfig(), config, kafka).run()
    assert report.records_out == len(hits) and report.rejected == 0


def _hostile(
    kafka: KafkaSettings, topic: str, records: list[tuple[dict[str, Any], MacKey | None, str]]
) -> None:
    """Records written with the region's valid identity, MAC'd under ``key`` claiming ``key_id``."""
    producer = ClientFactory(kafka, "hostile").producer()
    for hit, key, key_id in records:
        value, plate = orjson.dumps(hit), hit["plate"].encode()
        headers = list(mac_headers(key.raw, key_id, topic, plate, value)) if key is not None else None
        producer.produce(topic, value, plate, headers=headers)
    assert producer.flush(30) == 0


def test_forged_records_are_dead_lettered_and_a_rotation_loses_nothing(
    secure_zone: SecureZone, tmp_path: Path
) -> None:
    cat, admin, region = secure_zone.cat, secure_zone.admin, secure_zone.region(REGION)
    topic = cat.in_hits(REGION)
    keys = KeyStore(tmp_path / "region-keys")  # the region's side
    first = keys.create_mac(REGION, datetime.now(UTC) - timedelta(minutes=1))
    store = tmp_path / "processors-mac"  # the processors' side
    keys.export_mac(REGION, store)
    publish_entries(secure_zone.processors, cat, [make_entry(REGION, p) for p in PLATES])
    registry = CollectorRegistry()
    hits = [_hit(p) for p in PLATES]
    with running_worker(
        secure_zone.processors, cat, registry, mac=MacPolicy.REQUIRED, mac_keys=store
    ) as worker:
        _connector(region, cat.namespace, keys.mac_path(REGION), hits[0])
        wrong = new_mac_key(REGION, datetime.now(UTC))  # a secret that is not the region's
        _hostile(region, topic, [(hits[1], wrong, first.key_id), (hits[2], None, "")])
        _connector(region, cat.namespace, keys.mac_path(REGION), hits[3])

        def delivered(n: int) -> list[str]:
            out = consume_all(admin, cat.out(REGION))
            ids = [orjson.loads(m.value() or b"{}").get("match", {}).get("hit_event_id") for m in out]
            return ids if len(ids) >= n else []

        assert sorted(wait_for(lambda: delivered(2), 60, "two matches")) == sorted(
            [hits[0]["event_id"], hits[3]["event_id"]]
        )
        dead = consume_all(admin, cat.dlq("hotpath"), expect=2, timeout=30)
        letters = {m.key(): parse_dlq_headers(m.headers()) for m in dead}
        assert {k: (d.reason.value, d.stage.value) for k, d in letters.items()} == {
            PLATES[1].encode(): ("forged", "validate"),
            PLATES[2].encode(): ("forged", "validate"),
        }
        assert "does not verify" in letters[PLATES[1].encode()].error
        # audited as well, in the same transactions: who they claimed to be, where, why; no content
        audits = [orjson.loads(m.value() or b"{}") for m in consume_all(admin, cat.audit)]
        forged_audits = [a for a in audits if a.get("kind") == "forged_record"]
        assert (
            sorted((a["recipient"], a["reason"], a["decision"]) for a in forged_audits)
            == [(REGION, "forged", "refused")] * 2
        )
        assert all(not a.get("plates") and a["subject_id"].startswith(topic) for a in forged_audits)
        forged = {"processor": "hotpath", "region": REGION}
        assert (
            registry.get_sample_value("rax_runtime_forged_records_total", {**forged, "cause": "bad_mac"}) == 1
        )
        assert (
            registry.get_sample_value("rax_runtime_forged_records_total", {**forged, "cause": "missing"}) == 1
        )

        # rotation: the region rotates and hands the processors the new file; they re-read it
        assert worker.auth is not None
        worker.auth.keyring.reload_s = 0  # the default re-reads every 10 s; the test does not wait for it
        second = keys.rotate_mac(REGION, datetime.now(UTC), timedelta(days=7))
        keys.export_mac(REGION, store)
        _hostile(region, topic, [(hits[4], first, first.key_id)])  # in flight: made before the rotation
        _connector(region, cat.namespace, keys.mac_path(REGION), hits[5])
        assert sorted(wait_for(lambda: delivered(4), 60, "four matches")) == sorted(
            h["event_id"] for h in (hits[0], hits[3], hits[4], hits[5])
        )
        assert len(consume_all(admin, cat.dlq("hotpath"))) == 2  # nothing more was refused

        # a replay carries the original MAC headers the dead letter kept: a forged record stays forged
        letters_read = read_dead_letters(secure_zone.operator, cat, cat.dlq("hotpath"))
        assert replay(secure_zone.operator, cat, cat.dlq("hotpath"), letters_read, secure_zone.region) == 2
        consume_all(admin, cat.dlq("hotpath"), expect=4, timeout=60)
        counted = {"processor": "hotpath", "region": REGION}
        for cause in ("bad_mac", "missing"):  # not "missing" for both: the replay kept the wrong MAC
            wait_for(
                lambda c=cause: (
                    registry.get_sample_value(  # type: ignore[misc]
                        "rax_runtime_forged_records_total", {**counted, "cause": c}
                    )
                    == 2
                ),
                30,
                f"{cause} counted twice",
            )
    used = {m.key(): dict(m.headers() or []).get(MAC_KEY_HEADER) for m in consume_all(admin, topic)}
    assert used[PLATES[0].encode()] == first.key_id.encode()
    assert used[PLATES[5].encode()] == second.key_id.encode()  # the connector moved to the new key
