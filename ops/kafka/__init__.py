"""A real Apache Kafka on this machine: jars from Maven Central, KRaft nodes started and stopped by pid."""

from ops.kafka.cluster import ClusterState, LocalCluster, NodeState
from ops.kafka.errors import BrokerError, KafkaSetupError
from ops.kafka.install import DEFAULT_KAFKA_VERSION, KafkaInstall, resolve_install

__all__ = [
    "DEFAULT_KAFKA_VERSION",
    "BrokerError",
    "ClusterState",
    "KafkaInstall",
    "KafkaSetupError",
    "LocalCluster",
    "NodeState",
    "resolve_install",
]
