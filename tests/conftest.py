"""Pytest set-up: one real broker per session, a unique namespace and group per test, markers by folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.kafka import ClusterState, LocalCluster
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.support.kafka import new_cluster, unique


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        if "faults" in parts:
            item.add_marker(pytest.mark.faults)


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
