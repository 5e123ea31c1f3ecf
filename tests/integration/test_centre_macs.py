"""A command centre's own records (acknowledgements, operation close commands and temporary agreements,
and all its console publishes, alerts signed end to end) carry its region's MAC and batch signature when
given its key files, and pass the processors' checks under
``mac: required`` and ``sig: required``; without the key files they are refused as forged records are."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from confluent_kafka.admin import NewTopic

from ops.centre import close_operation
from ops.centre.ack import acknowledge
from ops.centre.operations import AgreementTerms, agree_operation
from ops.console.publisher import Publisher
from ops.keys import KeyStore
from schemas.acks import Outcome
from schemas.alert_signatures import verify_alert
from schemas.alerts import Alert
from schemas.codec import decode
from schemas.kafka_settings import KafkaSettings
from schemas.operation import OperationClose, OperationOutcome
from schemas.topics import Catalogue
from schemas.vocab import Category
from streams.runtime import ClientFactory
from streams.runtime.macs import MacKeyring, RecordAuthenticator
from streams.runtime.settings import MacPolicy, SigPolicy
from streams.runtime.signatures import BatchVerifier, ZoneSignKeys
from tests.support.kafka import consume_all
from tests.support.requests import request
from tests.unit.models_factories import ack, zone_alert

REGION = "510521"
D1, D2, OP1, OP2 = "d1" * 16, "d2" * 16, "0e" * 16, "0f" * 16


def test_acks_closes_and_agreements_carry_the_regions_mac_and_pass_the_required_check(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = catalogue
    admin = ClientFactory(kafka, "test-admin").admin()
    topics = [cat.in_acks(REGION), cat.in_operations(REGION)]
    for fut in admin.create_topics([NewTopic(t, 1, 1) for t in topics], operation_timeout=30).values():
        fut.result()
    keys = KeyStore(tmp_path / "region-keys")
    keys.create_mac(REGION, datetime.now(UTC) - timedelta(minutes=1))
    keys.export_mac(REGION, tmp_path / "processors-mac")
    key_file = keys.mac_path(REGION)
    keys.create(REGION, datetime.now(UTC) - timedelta(minutes=1))  # its seal and sign keys
    zone_keys = tmp_path / "zone-keys.json"  # the zone's published keys, as `rax keys export` prints them
    zone_keys.write_bytes(
        orjson.dumps([k.model_dump(mode="json", exclude_none=True) for k in keys.keys(REGION)])
    )
    signed = {"mac_key": key_file, "sign_keys": tmp_path / "region-keys"}

    acknowledge(kafka, cat, REGION, D1, Outcome.RECEIVED, "P-1", **signed)
    acknowledge(kafka, cat, REGION, D2, Outcome.RECEIVED, "P-1")  # no key file: no MAC
    close_operation(kafka, cat, REGION, OP1, OperationOutcome.CONFIRMED, **signed)
    terms = AgreementTerms((Category.STOLEN_VEHICLE,), (), "investigation", "art. 1", 1)
    agree_operation(kafka, cat, REGION, OP1, terms, **signed)
    close_operation(kafka, cat, REGION, OP2, OperationOutcome.CONFIRMED)

    keyring = MacKeyring(tmp_path / "processors-mac")  # the processors' side
    keyring.load()
    macs = RecordAuthenticator(MacPolicy.REQUIRED, keyring, cat)
    zone = ZoneSignKeys(zone_keys)
    zone.load()
    sigs = BatchVerifier(SigPolicy.REQUIRED, zone, cat)
    verdicts = [
        (
            m.key(),
            [
                check.problem(m.topic() or "", m.key(), m.value(), m.headers(), time.time())
                for check in (macs, sigs)
            ],
        )
        for topic in topics
        for m in consume_all(kafka, topic)
    ]
    ok = [(key, problems == [None, None]) for key, problems in verdicts]
    d1, d2, op1, op2 = (x.encode() for x in (D1, D2, OP1, OP2))
    assert ok == [(d1, True), (d2, False), (op1, True), (op1, True), (op2, False)]
    causes = [[p[0] for p in problems if p] for _, problems in verdicts if problems != [None, None]]
    assert causes == [["missing", "sig_missing"]] * 2


def test_the_consoles_records_and_alerts_carry_the_regions_mac_and_signatures(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = catalogue
    admin = ClientFactory(kafka, "test-admin").admin()
    topics = [cat.in_acks(REGION), cat.in_alerts(REGION), cat.in_operations(REGION), cat.in_requests(REGION)]
    for fut in admin.create_topics([NewTopic(t, 1, 1) for t in topics], operation_timeout=30).values():
        fut.result()
    keys = KeyStore(tmp_path / "region-keys")
    keys.create_mac(REGION, datetime.now(UTC) - timedelta(minutes=1))
    keys.export_mac(REGION, tmp_path / "processors-mac")
    keys.create(REGION, datetime.now(UTC) - timedelta(minutes=1))
    zone_keys = tmp_path / "zone-keys.json"
    zone_keys.write_bytes(
        orjson.dumps([k.model_dump(mode="json", exclude_none=True) for k in keys.keys(REGION)])
    )

    publisher = Publisher(kafka, cat, REGION, keys.mac_path(REGION), tmp_path / "region-keys")
    try:
        publisher.ack(ack(region=REGION, delivery_id=D1, at=datetime.now(UTC)))
        publisher.alert(zone_alert(REGION))
        publisher.close(
            OperationClose(
                close_id=OP2,
                operation_id=OP1,
                region=REGION,
                outcome=OperationOutcome.CONFIRMED,
                at=datetime.now(UTC),
            )
        )
        publisher.request(request(REGION, "500000"))
    finally:
        publisher.stop()

    keyring = MacKeyring(tmp_path / "processors-mac")
    keyring.load()
    zone = ZoneSignKeys(zone_keys)
    zone.load()
    checks = (
        RecordAuthenticator(MacPolicy.REQUIRED, keyring, cat),
        BatchVerifier(SigPolicy.REQUIRED, zone, cat),
    )
    records = [m for topic in topics for m in consume_all(kafka, topic)]
    assert [m.topic() for m in records] == topics
    for m in records:
        problems = [c.problem(m.topic() or "", m.key(), m.value(), m.headers(), time.time()) for c in checks]
        assert problems == [None, None], (m.topic(), problems)
    alert = decode(records[1].value() or b"", Alert)
    verdict = verify_alert(alert, keys.keys(REGION))
    assert (verdict.status, verdict.signed_by) == ("valid", REGION)
