"""Batch and alert signatures on the secured broker: who produced a record, checkable with public keys.

The region's connector (the SDK's runtime with the region's key store) signs each batch and each alert;
a hostile producer with the region's valid identity but not its private key writes records whose
signature is wrong or missing. The hot path runs as ``rax-processors`` with ``sig: required``: those are
dead-lettered ``forged`` and the region's records before and after them are delivered. An alert signed
by its region reaches a partner through the control app with its signature, and the partner's tail
shows it valid; a copy changed on the way shows invalid.
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
from ops.centre.tail import summarise
from ops.keys import KeyStore
from ops.zone import apply_zone, load_zone_file
from schemas.codec import decode, encode
from schemas.crypto import generate_private, sign_batch
from schemas.delivery import Delivery
from schemas.dlq import parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.keys import KeyPurpose
from schemas.topics import Catalogue
from streams.runtime import ClientFactory
from streams.runtime.settings import SigPolicy
from tests.support.control import publish, running_control, wait_for
from tests.support.hotpath import EXAMPLE_ZONE, make_entry, publish_entries, running_worker
from tests.support.kafka import consume_all
from tests.support.secure import SecureZone
from tests.unit.models_factories import hit_data, zone_alert

REGION, PARTNER = "510521", "500153"
PLATES = [f"川A2000{i}" for i in range(1, 5)]


class _Records(Source[SimulatorConfig]):
    """Hands over ``records`` once, then says it is exhausted: a one-shot load."""

    name, kind, config_model = "test-signed", RecordKind.HITS, SimulatorConfig
    records: ClassVar[list[dict[str, Any]]] = []

    def poll(self, timeout: float) -> Batch:
        return Batch(records=[SourceRecord(value=r, raw=b"") for r in self.records], end=True)


class _Alerts(_Records):
    name, kind = "test-signed-alerts", RecordKind.ALERTS


def _connector(
    kafka: KafkaSettings, namespace: str, store: Path, source: type[_Records], *records: Any
) -> None:
    """The region's connector publishes ``records`` signed with its key store, as the region's identity."""
    source.records = list(records)
    config = RuntimeConfig(region=REGION, namespace=namespace, sign_key_store=store)
    report = Runtime(source, SimulatorConfig(), config, kafka).run()
    assert report.records_out == len(records) and report.rejected == 0


def _zone_keys(tmp_path: Path, store: KeyStore) -> Path:
    """The zone's published keys as `rax keys export --format json` prints them."""
    path = tmp_path / "zone-keys.json"
    path.write_bytes(orjson.dumps([k.model_dump(mode="json", exclude_none=True) for k in store.keys(REGION)]))
    return path


def _hit(plate: str) -> dict[str, Any]:
    return hit_data(
        event_id=str(uuid.uuid4()),
        region=REGION,
        plate=plate,
        checkpoint_id=f"{REGION}-K0001",
        pass_time=datetime.now(UTC).isoformat(),
    )


def test_badly_signed_records_are_dead_lettered_as_forged(secure_zone: SecureZone, tmp_path: Path) -> None:
    cat, admin, region = secure_zone.cat, secure_zone.admin, secure_zone.region(REGION)
    topic = cat.in_hits(REGION)
    keys = KeyStore(tmp_path / "region-keys")  # the region's side: the private keys never leave it
    [signing] = [
        k for k in keys.create(REGION, datetime.now(UTC) - timedelta(minutes=1)) if k.purpose == "sign"
    ]
    publish_entries(secure_zone.processors, cat, [make_entry(REGION, p) for p in PLATES])
    registry = CollectorRegistry()
    hits = [_hit(p) for p in PLATES]
    with running_worker(
        secure_zone.processors, cat, registry, sig=SigPolicy.REQUIRED, sign_keys=_zone_keys(tmp_path, keys)
    ):
        _connector(region, cat.namespace, keys.root, _Records, hits[0])
        producer = ClientFactory(region, "hostile").producer()  # the region's identity, not its key
        stranger = generate_private(KeyPurpose.SIGN)
        value, plate = orjson.dumps(hits[1]), hits[1]["plate"].encode()
        [headers] = sign_batch(
            stranger,
            signing.key_id,
            REGION,
            [(topic, plate, value)],
            int(datetime.now(UTC).timestamp() * 1000),
        )
        producer.produce(topic, value, plate, headers=[*headers])
        producer.produce(topic, orjson.dumps(hits[2]), hits[2]["plate"].encode())  # no signature at all
        assert producer.flush(30) == 0
        _connector(region, cat.namespace, keys.root, _Records, hits[3])

        def delivered() -> list[str]:
            out = consume_all(admin, cat.out(REGION))
            ids = [orjson.loads(m.value() or b"{}").get("match", {}).get("hit_event_id") for m in out]
            return ids if len(ids) >= 2 else []

        assert sorted(wait_for(delivered, 60, "two matches")) == sorted(
            [hits[0]["event_id"], hits[3]["event_id"]]
        )
        dead = consume_all(admin, cat.dlq("hotpath"), expect=2, timeout=30)
        letters = {m.key(): parse_dlq_headers(m.headers()) for m in dead}
        assert {k: (d.reason.value, d.stage.value) for k, d in letters.items()} == {
            PLATES[1].encode(): ("forged", "validate"),
            PLATES[2].encode(): ("forged", "validate"),
        }
        assert "does not verify" in letters[PLATES[1].encode()].error
        forged = {"processor": "hotpath", "region": REGION}
        sample = "rax_runtime_forged_records_total"
        assert registry.get_sample_value(sample, {**forged, "cause": "bad_signature"}) == 1
        assert registry.get_sample_value(sample, {**forged, "cause": "sig_missing"}) == 1


def test_an_alert_signed_by_its_region_reaches_a_partner_verifiable(
    secure_zone: SecureZone, tmp_path: Path
) -> None:
    cat, luxian = secure_zone.cat, secure_zone.region(REGION)
    rongchang = secure_zone.region(PARTNER)
    keys = KeyStore(tmp_path / "region-keys")
    keys.create(REGION, datetime.now(UTC) - timedelta(minutes=1))
    zone_keys = _zone_keys(tmp_path, keys)
    alert = zone_alert(REGION)  # the whole zone: 荣昌 under the joint office
    with running_control(
        secure_zone.processors, cat, worker_id="signed", sig=SigPolicy.OPTIONAL, sign_keys=zone_keys
    ):
        _connector(luxian, cat.namespace, keys.root, _Alerts, orjson.loads(encode(alert)))
        centre = cat.region_group_prefix(PARTNER) + "centre"
        [msg] = consume_all(rongchang, cat.out(PARTNER), expect=1, timeout=60, group=centre)
        signed = decode(msg.value() or b"", Delivery)
        assert signed.alert is not None and signed.alert.region_signature is not None
        row = summarise(signed, keys.keys(REGION))
        assert (row["identifier"], row["signature"], row["signed_by"]) == (alert.identifier, "valid", REGION)

        # the same signature on changed content (published unsigned as a batch: `optional` lets it in)
        changed = signed.alert.model_copy(
            update={"identifier": alert.identifier + "-x", "plates": ("川A99999",)}
        )
        publish(luxian, cat.in_alerts(REGION), [(changed.identifier.encode(), encode(changed))])
        out = consume_all(rongchang, cat.out(PARTNER), expect=2, timeout=60, group=centre + "-2")
        [again] = [
            d
            for d in (decode(m.value() or b"", Delivery) for m in out)
            if d.delivery_id != signed.delivery_id
        ]
        row = summarise(again, keys.keys(REGION))
        assert (row["identifier"], row["signature"]) == (changed.identifier, "invalid")
        assert "changed" in row["signature_error"]


def test_the_zone_on_rax_zone_gives_the_sign_keys_and_a_rotation_applied_to_it_reaches_the_processor(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    """``--sign-keys zone``: no file to copy; a key the region rotated to is refused until the zone that
    publishes it is applied, then accepted (the processor follows rax.zone)."""
    cat = catalogue
    keys = KeyStore(tmp_path / "region-keys")
    keys.create(REGION, datetime.now(UTC) - timedelta(minutes=1))
    zone = load_zone_file(EXAMPLE_ZONE)
    topics = zone.topics.model_copy(update={"hit_partitions": 3, "shared_partitions": 3})
    apply_zone(
        zone.model_copy(update={"topics": topics, "keys": keys.keys(REGION)}), kafka, cat, secure=False
    )
    publish_entries(kafka, cat, [make_entry(REGION, p) for p in PLATES])
    hits = [_hit(p) for p in PLATES]

    def delivered(n: int) -> list[str]:
        out = consume_all(kafka, cat.out(REGION))
        ids = [orjson.loads(m.value() or b"{}").get("match", {}).get("hit_event_id") for m in out]
        return ids if len(ids) >= n else []

    with running_worker(kafka, cat, sig=SigPolicy.REQUIRED, sign_keys=Path("zone")):
        _connector(kafka, cat.namespace, keys.root, _Records, hits[0])
        assert wait_for(lambda: delivered(1), 60, "the first match") == [hits[0]["event_id"]]
        keys.rotate(REGION, datetime.now(UTC), timedelta(0), [KeyPurpose.SIGN])  # the connector moves at once
        _connector(kafka, cat.namespace, keys.root, _Records, hits[1])  # a key the zone does not publish yet
        dead = consume_all(kafka, cat.dlq("hotpath"), expect=1, timeout=60)
        assert [parse_dlq_headers(m.headers()).reason.value for m in dead] == ["forged"]
        apply_zone(
            zone.model_copy(update={"topics": topics, "keys": keys.keys(REGION)}), kafka, cat, secure=False
        )
        # no wait: a record under a key the zone published a moment ago makes the worker catch up
        _connector(kafka, cat.namespace, keys.root, _Records, hits[2])
        assert sorted(wait_for(lambda: delivered(2), 60, "the match signed under the new key")) == sorted(
            [hits[0]["event_id"], hits[2]["event_id"]]
        )
