"""On a secured broker, a region publishes only as itself and reads only what was delivered to it."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    ConfigResource,
    ResourcePatternType,
    ResourceType,
)

from ops.kafka import LocalCluster
from ops.zone.plan import PROCESSORS_USER, region_user
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory
from tests.support.kafka import unique

EXAMPLE = Path(__file__).parents[2] / "ops" / "zones" / "chuanyu.yaml"
A, B = "500153", "510521"  # 荣昌 and 泸县
TOPIC_AUTHORIZATION_FAILED = 29
GROUP_AUTHORIZATION_FAILED = 30


def _as(cluster: LocalCluster, passwords: dict[str, str], user: str) -> KafkaSettings:
    return cluster.settings().as_user(user, passwords[user])


def _produce(settings: KafkaSettings, topic: str) -> KafkaError | None:
    producer = ClientFactory(settings, "test-secure").producer({"message.timeout.ms": 10000})
    result: list[KafkaError | None] = []
    producer.produce(topic, key=b"k", value=b"{}", on_delivery=lambda err, _m: result.append(err))
    producer.flush(15)
    return result[0] if result else KafkaError(KafkaError._MSG_TIMED_OUT)


def _first_consume_error(settings: KafkaSettings, topic: str, group: str) -> KafkaError | None:
    consumer = ClientFactory(settings, "test-secure").consumer(group)
    try:
        consumer.subscribe([topic])
        for _ in range(40):  # authorization errors surface once, on one poll: catch the first
            msg = consumer.poll(0.25)
            if msg is not None and msg.error():
                return msg.error()
            if msg is not None:
                return None
        return None
    finally:
        consumer.close()


def test_region_writes_its_own_inputs(secured: tuple[LocalCluster, dict[str, str], Catalogue]) -> None:
    cluster, passwords, cat = secured
    assert _produce(_as(cluster, passwords, region_user(A)), cat.in_hits(A)) is None


def test_region_cannot_write_another_regions_hits(
    secured: tuple[LocalCluster, dict[str, str], Catalogue],
) -> None:
    cluster, passwords, cat = secured
    err = _produce(_as(cluster, passwords, region_user(A)), cat.in_hits(B))
    assert err is not None and err.code() == TOPIC_AUTHORIZATION_FAILED, err


def test_region_cannot_read_another_regions_deliveries(
    secured: tuple[LocalCluster, dict[str, str], Catalogue],
) -> None:
    cluster, passwords, cat = secured
    settings = _as(cluster, passwords, region_user(A))
    err = _first_consume_error(settings, cat.out(B), cat.region_group_prefix(A) + unique("centre"))
    assert err is not None and err.code() == TOPIC_AUTHORIZATION_FAILED, err
    # nor through another region's consumer group name
    err = _first_consume_error(settings, cat.out(A), cat.region_group_prefix(B) + unique("centre"))
    assert err is not None and err.code() == GROUP_AUTHORIZATION_FAILED, err


def test_region_reads_its_own_deliveries(secured: tuple[LocalCluster, dict[str, str], Catalogue]) -> None:
    cluster, passwords, cat = secured
    assert _produce(_as(cluster, passwords, PROCESSORS_USER), cat.out(A)) is None
    settings = _as(cluster, passwords, region_user(A))
    consumer = ClientFactory(settings, "test-secure").consumer(cat.region_group_prefix(A) + unique("centre"))
    try:
        consumer.subscribe([cat.out(A)])
        for _ in range(60):  # the session's secured zone is shared: other tests deliver here too
            msg = consumer.poll(0.25)
            if msg is not None:
                assert msg.error() is None, msg.error()
                if msg.value() == b"{}":
                    break
        else:
            pytest.fail("the region did not receive its own delivery")
    finally:
        consumer.close()


def test_unknown_password_is_refused(secured: tuple[LocalCluster, dict[str, str], Catalogue]) -> None:
    cluster, _, cat = secured
    wrong = cluster.settings().as_user(region_user(A), "wrong")
    consumer = ClientFactory(wrong, "test-secure").consumer("x", {"error_cb": lambda e: errors.append(e)})
    errors: list[KafkaError] = []
    try:
        with pytest.raises(KafkaException):
            consumer.list_topics(cat.out(A), timeout=5)
        consumer.poll(0.5)
        assert any(e.code() == KafkaError._AUTHENTICATION for e in errors), errors
    finally:
        consumer.close()


def test_rotated_password_replaces_the_old_one(
    secured: tuple[LocalCluster, dict[str, str], Catalogue], tmp_path: Path
) -> None:
    from ops.zone.identities import rotate_password

    cluster, passwords, cat = secured
    user = region_user("510904")
    old = passwords[user]
    credentials = tmp_path / "credentials.json"
    new = rotate_password(ClientFactory(cluster.settings(), "test-secure").admin(), user, credentials)
    assert new != old and orjson.loads(credentials.read_bytes())[user] == new
    assert _produce(cluster.settings().as_user(user, new), cat.in_hits("510904")) is None
    err = _produce(cluster.settings().as_user(user, old), cat.in_hits("510904"))
    assert err is not None and err.code() in (KafkaError._AUTHENTICATION, KafkaError._MSG_TIMED_OUT), err


def test_rotating_an_identity_that_does_not_exist_creates_no_login(
    secured: tuple[LocalCluster, dict[str, str], Catalogue], tmp_path: Path
) -> None:
    from ops.zone.identities import UnknownIdentity, rotate_password

    cluster = secured[0]
    typo = region_user("51052")  # 510521 with its last digit lost
    credentials = tmp_path / "credentials.json"
    admin = ClientFactory(cluster.settings(), "test-secure").admin()
    with pytest.raises(UnknownIdentity):
        rotate_password(admin, typo, credentials)
    assert not credentials.exists()
    described = admin.describe_user_scram_credentials([typo])
    assert isinstance(described, dict)
    with pytest.raises(KafkaException):
        described[typo].result()  # RESOURCE_NOT_FOUND: no identity was made


def test_a_region_cannot_change_acls_or_read_broker_configs(
    secured: tuple[LocalCluster, dict[str, str], Catalogue],
) -> None:
    cluster, passwords, cat = secured
    admin = ClientFactory(_as(cluster, passwords, region_user(A)), "test-secure").admin()
    grant = AclBinding(
        ResourceType.TOPIC,
        cat.out(B),
        ResourcePatternType.LITERAL,
        f"User:{region_user(A)}",
        "*",
        AclOperation.READ,
        AclPermissionType.ALLOW,
    )
    with pytest.raises(KafkaException) as info:
        for fut in admin.create_acls([grant], request_timeout=15).values():
            fut.result()
    assert info.value.args[0].code() == KafkaError.CLUSTER_AUTHORIZATION_FAILED
    with pytest.raises(KafkaException):
        for fut in admin.describe_configs([ConfigResource("BROKER", "1")], request_timeout=15).values():
            fut.result()


def test_an_anonymous_or_plaintext_client_gets_nothing(
    secured: tuple[LocalCluster, dict[str, str], Catalogue],
) -> None:
    cluster, _, cat = secured
    settings = cluster.settings()
    for protocol in ("SSL", "PLAINTEXT"):  # TLS without a SASL login; no TLS at all
        anonymous = settings.model_copy(
            update={"security_protocol": protocol, "username": None, "password": None}
        )
        consumer = ClientFactory(anonymous, "test-secure").consumer(unique("anon"))
        try:
            with pytest.raises(KafkaException):
                consumer.list_topics(cat.out(A), timeout=5)
        finally:
            consumer.close()
