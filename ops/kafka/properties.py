"""Renders a KRaft node's server.properties: single node, three nodes, plain or SASL/SCRAM (+TLS)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["ABORT_CHECK_MS", "CLEANER_IO_BYTES_PER_S", "NodeLayout", "jaas_config", "render_properties"]

#: the log cleaner's I/O (read and written) per second: about a third of what one core cleans unthrottled
#: here (13-35 MB/s), and several times what the changelogs of a worker at 10,000 hits/s need cleaned
CLEANER_IO_BYTES_PER_S: Final = 8 * 1024 * 1024
#: how often the transaction coordinator looks for transactions past their timeout (Kafka: 10 s)
ABORT_CHECK_MS: Final = 1000


@dataclass(frozen=True)
class NodeLayout:
    """Where one node listens and keeps its data."""

    node_id: int
    port: int
    controller_port: int
    data_dir: Path


def render_properties(
    node: NodeLayout,
    voters: list[NodeLayout],
    *,
    secure: bool,
    tls_dir: Path | None = None,
) -> str:
    """server.properties for ``node`` in a cluster whose controllers are ``voters``; it holds no secret.

    A secured node's own SCRAM login (the inter-broker client on the CLIENT listener) is in its JAAS
    file, ``jaas_config`` (0600), which the JVM is given with ``-Djava.security.auth.login.config``.
    """
    n = len(voters)
    replication = min(n, 3)
    min_isr = 2 if n >= 3 else 1
    listener = "CLIENT" if secure else "PLAINTEXT"
    props: dict[str, str] = {
        "process.roles": "broker,controller",
        "node.id": str(node.node_id),
        "controller.quorum.voters": ",".join(f"{v.node_id}@127.0.0.1:{v.controller_port}" for v in voters),
        "controller.listener.names": "CONTROLLER",
        "listeners": f"{listener}://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
        "advertised.listeners": f"{listener}://127.0.0.1:{node.port}",
        "inter.broker.listener.name": listener,
        "log.dirs": str(node.data_dir),
        # internal topics must fit the cluster, or groups and transactions never work on one node
        "offsets.topic.replication.factor": str(replication),
        "offsets.topic.num.partitions": "1" if n == 1 else "3",
        "transaction.state.log.replication.factor": str(replication),
        "transaction.state.log.min.isr": str(min_isr),
        "transaction.state.log.num.partitions": "1" if n == 1 else "3",
        "share.coordinator.state.topic.replication.factor": str(replication),
        "share.coordinator.state.topic.min.isr": str(min_isr),
        "share.coordinator.state.topic.num.partitions": "1",
        "default.replication.factor": str(replication),
        "min.insync.replicas": str(min_isr),
        "group.initial.rebalance.delay.ms": "0",
        # the cleaner takes 128 MB of heap at start otherwise; compaction (rax.watchlist) still needs it on
        "log.cleaner.dedupe.buffer.size": "8388608",
        # the cleaner compacts a changelog's closed segment in one pass at full speed, a core for seconds
        # (the hot path's dedup changelog: ~90 MB in 3 s), which the workers beside it feel as a latency
        # spike; limited, the same work is spread out (docs/runtime.md, "The cleaner's pace")
        "log.cleaner.io.max.bytes.per.second": str(CLEANER_IO_BYTES_PER_S),
        # a killed worker's open transaction holds its partitions' offsets unstable until the coordinator
        # aborts it, which it checks for every 10 s by default: a kill paused them 11.6-22 s; a check a
        # second makes that the transaction timeout plus at most a second
        "transaction.abort.timed.out.transaction.cleanup.interval.ms": str(ABORT_CHECK_MS),
        "num.network.threads": "2",
        "num.io.threads": "2",
        "background.threads": "2",
        "num.partitions": "1",
        "auto.create.topics.enable": "false",
        "log.segment.bytes": str(256 * 1024 * 1024),
    }
    if n > 1:
        # a killed node is fenced in ~4 s instead of 9 s; lower risks false fencing on 2 busy cores
        props["broker.heartbeat.interval.ms"] = "1000"
        props["broker.session.timeout.ms"] = "4000"
    if secure:
        protocol = "SASL_SSL" if tls_dir else "SASL_PLAINTEXT"
        props.update(
            {
                "listener.security.protocol.map": f"CONTROLLER:PLAINTEXT,CLIENT:{protocol}",
                "sasl.enabled.mechanisms": "SCRAM-SHA-512",
                "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
                "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                # over the PLAINTEXT controller listener a broker reaches its controller as ANONYMOUS;
                # no client listener is PLAINTEXT, so ANONYMOUS is only ever the cluster itself
                "super.users": "User:admin;User:ANONYMOUS",
                "allow.everyone.if.no.acl.found": "false",
            }
        )
        if tls_dir:
            props.update(
                {
                    "listener.name.client.ssl.keystore.type": "PEM",
                    "listener.name.client.ssl.keystore.location": str(tls_dir / "broker.pem"),
                    "listener.name.client.ssl.truststore.type": "PEM",
                    "listener.name.client.ssl.truststore.location": str(tls_dir / "ca.pem"),
                    "ssl.endpoint.identification.algorithm": "https",
                }
            )
    else:
        props["listener.security.protocol.map"] = "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    return "".join(f"{k}={v}\n" for k, v in props.items())


def jaas_config(user: str, password: str) -> str:
    """A broker's JAAS file: the SCRAM identity it logs in with to other brokers (and to itself)."""
    for value in (user, password):
        if '"' in value or "\\" in value or "\n" in value:
            raise ValueError("a JAAS user name or password cannot hold quotes, backslashes or line breaks")
    return (
        "KafkaServer {\n"
        "  org.apache.kafka.common.security.scram.ScramLoginModule required\n"
        f'  username="{user}"\n'
        f'  password="{password}";\n'
        "};\n"
    )
