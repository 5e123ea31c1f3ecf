"""A zone on the secured broker for one test: its namespace, and the identities `rax zone apply` issued.

Tests that must hold in production mode (poison, SIGKILL, rebalance, broker outage) run the processors as
``rax-processors``, publish as the regions' own identities and read what they check as the operator.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from ops.kafka import LocalCluster
from ops.zone.plan import EVALUATOR_USER, OPERATOR_USER, PROCESSORS_USER, region_user
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.support.hotpath import apply_example_zone
from tests.support.kafka import new_cluster

__all__ = ["SecureZone", "secure_zone_on", "secured_cluster_in"]


@dataclass
class SecureZone:
    """The example zone applied in ``cat``'s namespace on a secured cluster."""

    cluster: LocalCluster
    cat: Catalogue
    credentials: Path

    def _passwords(self) -> dict[str, str]:
        return dict(orjson.loads(self.credentials.read_bytes()))

    @property
    def admin(self) -> KafkaSettings:
        """The operator (super user): for reading what a test checks, never for a process under test."""
        return self.cluster.settings()

    @property
    def processors(self) -> KafkaSettings:
        return self.admin.as_user(PROCESSORS_USER, self._passwords()[PROCESSORS_USER])

    @property
    def evaluator(self) -> KafkaSettings:
        """The evaluation app's identity (audit, matches and inputs read; scorecards written)."""
        return self.admin.as_user(EVALUATOR_USER, self._passwords()[EVALUATOR_USER])

    @property
    def operator(self) -> KafkaSettings:
        """The operators' least-privilege identity (dead letters, governance topics, replay audits)."""
        return self.admin.as_user(OPERATOR_USER, self._passwords()[OPERATOR_USER])

    def region(self, code: str) -> KafkaSettings:
        user = region_user(code)
        return self.admin.as_user(user, self._passwords()[user])

    def cli(self, settings: KafkaSettings) -> tuple[list[str], dict[str, str]]:
        """`rax` options and environment that reach the cluster as ``settings`` (password in the env)."""
        args = ["--bootstrap", settings.bootstrap_servers, "--username", settings.username or ""]
        if settings.ssl_ca_location:
            args += ["--ca", settings.ssl_ca_location]
        password = settings.password.get_secret_value() if settings.password else ""
        return args, {**os.environ, "RAX_KAFKA_PASSWORD": password}


@contextmanager
def secured_cluster_in(run_dir: Path) -> Iterator[tuple[LocalCluster, Path]]:
    """A one-node secured broker (SASL/SCRAM over TLS, ACLs) in ``run_dir``, and its credentials file."""
    cluster = new_cluster(run_dir)
    cluster.start(nodes=1, secure=True)
    try:
        yield cluster, run_dir / "credentials.json"
    finally:
        cluster.stop()


def secure_zone_on(
    cluster: LocalCluster, credentials: Path, cat: Catalogue, hit_partitions: int = 3
) -> SecureZone:
    """Apply the example zone in ``cat``'s namespace (topics, ACLs; identities created once per cluster)."""
    apply_example_zone(cluster.settings(), cat, hit_partitions, credentials=credentials)
    return SecureZone(cluster, cat, credentials)
