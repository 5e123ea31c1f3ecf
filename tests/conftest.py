"""Pytest set-up: one real broker per session, a unique namespace and group per test, markers by folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from ops.kafka import ClusterState, LocalCluster
from ops.zone import apply_zone, load_zone_file
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.support.hotpath import EXAMPLE_ZONE
from tests.support.kafka import new_cluster, unique
from tests.support.secure import SecureZone, secure_zone_on, secured_cluster_in


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        if "faults" in parts:
            item.add_marker(pytest.mark.faults)
        if "browser" in parts:
            item.add_marker(pytest.mark.browser)


class Broker:
    """The session's broker: how to reach it and how it was started."""

    def __init__(self, cluster: LocalCluster, state: ClusterState) -> None:
        self.cluster = cluster
        self.state = state
        self.settings: KafkaSettings = state.admin_settings(cluster.run_dir)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One single-node broker for the whole session, stopped (by pid) at its end."""
    cluster = new_cluster(tmp_path_factory.mktemp("kafka"))
    state = cluster.start(nodes=1)
    try:
        yield Broker(cluster, state)
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def secured_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalCluster, Path]]:
    """One secured broker (SASL/SCRAM over TLS, ACLs) for the session, and its credentials file."""
    with secured_cluster_in(tmp_path_factory.mktemp("kafka-secure")) as secured:
        yield secured


@pytest.fixture(scope="session")
def secured(
    secured_cluster: tuple[LocalCluster, Path],
) -> tuple[LocalCluster, dict[str, str], Catalogue]:
    """The example zone applied on the secured broker in the ``rax`` namespace: (cluster, passwords, cat).

    Every identity ``rax zone apply`` issued is in the passwords; processes run as exactly those.
    """
    cluster, credentials = secured_cluster
    cat = Catalogue("rax")
    report = apply_zone(
        load_zone_file(EXAMPLE_ZONE), cluster.settings(), cat, secure=True, credentials=credentials
    )
    assert report.created_acls > 0
    again = apply_zone(
        load_zone_file(EXAMPLE_ZONE), cluster.settings(), cat, secure=True, credentials=credentials
    )
    assert not again.changed, again  # idempotent on a secured broker too
    return cluster, orjson.loads(credentials.read_bytes()), cat


@pytest.fixture
def secure_zone(secured_cluster: tuple[LocalCluster, Path], catalogue: Catalogue) -> SecureZone:
    """The example zone in this test's own namespace on the secured broker, with its identities."""
    cluster, credentials = secured_cluster
    return secure_zone_on(cluster, credentials, catalogue)


@pytest.fixture
def kafka(broker: Broker) -> KafkaSettings:
    """Settings that reach the session's broker."""
    return broker.settings


@pytest.fixture
def catalogue() -> Catalogue:
    """A topic namespace of this test alone, so tests never share a topic."""
    return Catalogue(unique("t").replace("-", ""))


@pytest.fixture
def group_id() -> str:
    return unique("group")
