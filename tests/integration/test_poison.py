"""Poison records never stop a processor: each is dead-lettered with its reason, the records after it flow.

The corpus goes to every input topic of both processors: the regions' hits (hot path) and their alerts,
watchlist commands and acknowledgements (control app), on the secured broker: the processors run as the
identity `rax zone apply` issued them, the poison comes from the region's own identity.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import orjson
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource

from schemas.codec import encode
from schemas.dlq import ORIGINAL_SIZE, TRUNCATED, parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from streams.runtime import ClientFactory
from tests.support.control import running_control, wait_for
from tests.support.hotpath import HitFactory, make_entry, publish_entries, running_worker
from tests.support.kafka import consume_all
from tests.support.secure import SecureZone
from tests.unit.models_factories import hit_data, zone_alert

REGION = "510521"


def _hit(**over: object) -> bytes:
    data = hit_data(
        event_id=str(uuid.uuid4()),
        region=REGION,
        plate="川B99999",
        checkpoint_id=f"{REGION}-K0001",
        pass_time=datetime.now(UTC).isoformat(),
    )
    data.update(over)
    return orjson.dumps(data)


#: what a hostile or broken connector can put on a region's hits topic, and the reason it must get
CORPUS: list[tuple[str, bytes, str]] = [
    ("5 MB lz4", b'{"plate":"' + b"A" * 5_000_000 + b'"}', "too_large"),
    ("not JSON", b"not json at all", "invalid_json"),
    ("not UTF-8", b"\xff\xfe\xfd{}", "invalid_json"),
    ("10k-deep nesting", b"[" * 10_000 + b"]" * 10_000, "invalid_json"),
    ("NaN", b'{"plate": NaN}', "invalid_json"),
    ("wrong types", _hit(plate=12345, lane="left"), "schema_violation"),
    ("year 9999", _hit(pass_time="9999-12-31T23:59:59+00:00"), "implausible_time"),
    ("bidi override", _hit(checkpoint_id="510521-K\u202e1000"), "schema_violation"),
    ("impersonation", _hit(region="510000"), "region_mismatch"),
]


def _producer(kafka: KafkaSettings):  # type: ignore[no-untyped-def]
    # a region's own producer may send a 5 MB value: lz4 makes it a ~20 KB batch the broker accepts
    return ClientFactory(kafka, "hostile").producer(
        {"message.max.bytes": 10_000_000, "compression.type": "lz4"}
    )


def test_every_poison_record_is_dead_lettered_and_the_next_hit_delivered(secure_zone: SecureZone) -> None:
    cat, kafka = secure_zone.cat, secure_zone.admin  # the operator reads what the test checks
    wanted = make_entry(REGION, "川A12345")
    publish_entries(secure_zone.processors, cat, [wanted])
    with running_worker(secure_zone.processors, cat) as worker:
        producer = _producer(secure_zone.region(REGION))  # the region's own (hostile) producer
        for name, value, _ in CORPUS:
            producer.produce(cat.in_hits(REGION), value, name.encode())
        assert producer.flush(30) == 0
        hits = HitFactory(secure_zone.region(REGION), cat)
        good = hits.send(REGION, "川A12345")
        hits.flush()
        dead = consume_all(kafka, cat.dlq("hotpath"), expect=len(CORPUS), timeout=60)
        delivered = consume_all(kafka, cat.out(REGION), expect=1, timeout=60)
        assert worker.ready.is_set() and worker.not_healthy() == []
        # lag from committed offsets: every record committed, nothing waiting in any partition
        topic = {"processor": "hotpath", "topic": cat.in_hits(REGION)}
        wait_for(lambda: worker.registry.get_sample_value("rax_runtime_lag_records", topic) == 0, 30, "lag 0")
        ages = [
            s.value
            for family in worker.registry.collect()
            if family.name == "rax_runtime_oldest_unprocessed_seconds"
            for s in family.samples
            if s.labels["topic"] == cat.in_hits(REGION)
        ]
        assert ages and all(age == 0 for age in ages)
    reasons = {m.key().decode(): parse_dlq_headers(m.headers()).reason.value for m in dead}  # type: ignore[union-attr]
    assert reasons == {name: reason for name, _, reason in CORPUS}
    big = next(m for m in dead if m.key() == b"5 MB lz4")
    headers = dict(big.headers() or [])
    assert headers[ORIGINAL_SIZE] == str(len(CORPUS[0][1])).encode() and headers[TRUNCATED] == b"value"
    assert len(big.value() or b"") <= 64 * 1024
    assert orjson.loads(delivered[0].value())["match"]["hit_event_id"] == good


def test_a_dead_letter_the_broker_refuses_becomes_a_stub_and_nothing_stalls(secure_zone: SecureZone) -> None:
    cat, kafka = secure_zone.cat, secure_zone.admin
    publish_entries(secure_zone.processors, cat, [make_entry(REGION, "川A12345")])
    admin = ClientFactory(kafka, "test").admin()
    # the DLQ topic takes only small records: a dead letter keeping 20 KB of its value is refused
    entry = ConfigEntry("max.message.bytes", "4096", incremental_operation=AlterConfigOpType.SET)
    resource = ConfigResource("topic", cat.dlq("hotpath"), incremental_configs=[entry])
    for fut in admin.incremental_alter_configs([resource]).values():
        fut.result()
    with running_worker(secure_zone.processors, cat) as worker:
        producer = _producer(secure_zone.region(REGION))
        producer.produce(cat.in_hits(REGION), os.urandom(20_000), b"refused-letter")  # lz4 cannot shrink it
        assert producer.flush(30) == 0
        hits = HitFactory(secure_zone.region(REGION), cat)
        good = hits.send(REGION, "川A12345")
        hits.flush()
        delivered = consume_all(kafka, cat.out(REGION), expect=1, timeout=90)
        dead = consume_all(kafka, cat.dlq("hotpath"), expect=1, timeout=30)
        assert worker.not_healthy() == []
    assert orjson.loads(delivered[0].value())["match"]["hit_event_id"] == good
    (stub,) = dead
    assert stub.value() is None and dict(stub.headers() or [])[TRUNCATED] == b"stub"
    assert parse_dlq_headers(stub.headers()).source_topic == cat.in_hits(REGION)


#: poison every input topic of the control app shares, whatever the record kind
_GENERIC: list[tuple[str, bytes, str]] = [
    ("5 MB lz4", b'{"identifier":"' + b"A" * 5_000_000 + b'"}', "too_large"),
    ("not JSON", b"<alert>not json</alert>", "invalid_json"),
    ("not UTF-8", b"\xff\xfe\xfd{}", "invalid_json"),
    ("10k-deep nesting", b"[" * 10_000 + b"]" * 10_000, "invalid_json"),
    ("NaN", b'{"sent": NaN}', "invalid_json"),
    ("wrong types", b'{"identifier": 7, "info": "none", "acked": [1]}', "schema_violation"),
]


def test_every_poison_record_on_the_control_inputs_is_dead_lettered_and_the_next_alert_delivered(
    secure_zone: SecureZone,
) -> None:
    cat, kafka = secure_zone.cat, secure_zone.admin
    region = "510000"
    topics = {
        "alerts": cat.in_alerts(region),
        "watchlist": cat.in_watchlist(region),
        "acks": cat.in_acks(region),
    }
    headline = zone_alert(region).model_dump(mode="json")
    headline["identifier"] = "RAX-POISON-BIDI"
    headline["info"][0]["headline"] = "成都\u202e被盗车辆"  # reads reversed on a centre's screen
    kind_specific = {
        "alerts": [("bidi headline", orjson.dumps(headline), "schema_violation")],
        "watchlist": [("no key", b"{}", "schema_violation")],
        "acks": [("no key", b"{}", "schema_violation")],
    }
    with running_control(secure_zone.processors, cat) as loop:
        producer = _producer(secure_zone.region(region))
        expected: dict[str, str] = {}
        for kind, topic in topics.items():
            for name, value, reason in [*_GENERIC, *kind_specific[kind]]:
                key = None if name == "no key" else f"{kind}:{name}".encode()
                producer.produce(topic, value, key)
                expected[f"{kind}:{name}"] = reason
        assert producer.flush(30) == 0
        good = zone_alert(region)
        producer.produce(topics["alerts"], encode(good), good.identifier.encode())
        assert producer.flush(30) == 0
        delivered = consume_all(kafka, cat.out(region), expect=1, timeout=60)
        dead = consume_all(kafka, cat.dlq("control"), expect=len(expected), timeout=60)
        assert loop.not_healthy() == []
    got: dict[str, str] = {}
    for m in dead:
        letter = parse_dlq_headers(m.headers())
        kind = (letter.source_topic or "").rsplit(".", 1)[-1]
        name = (m.key() or b"").decode().partition(":")[2] if m.key() else "no key"
        got[f"{kind}:{name}"] = letter.reason.value
    assert got == expected
    assert orjson.loads(delivered[0].value())["alert"]["identifier"] == good.identifier
