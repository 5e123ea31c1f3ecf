"""The one Kafka client factory: every producer, consumer and admin client of RAX is built here.

What must be true of every client is decided once: producers are idempotent, ``acks=all`` and
``murmur2_random`` (so keys land where Java clients and faust put them); consumers read committed data,
never auto-commit and start at the earliest offset of a new group; every call that blocks has a deadline
(the callers pass ``call_timeout``). Callers add only what is theirs (client id, group, transactional
id, batching) through ``extra``, and cannot switch the guarantees off: the guaranteed keys win.

One guarantee has a named, explicit escape, because some readers must not have it: ``isolation=
"read_uncommitted"`` on ``consumer`` and ``reader``, for an observer that must see records of open or
aborted transactions or must not wait for them (a benchmark's progress probe, a test that checks what
an aborted transaction left behind). Nothing else reads uncommitted data.
"""

from __future__ import annotations

from typing import Any, Literal

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from schemas.kafka_settings import KafkaSettings

__all__ = ["FETCH_MIN_BYTES", "FETCH_WAIT_MAX_MS", "ClientFactory", "Isolation"]

#: what a consumer reads of transactional topics; only ``read_committed`` unless a caller says otherwise
Isolation = Literal["read_committed", "read_uncommitted"]

_PRODUCER_GUARANTEES: dict[str, Any] = {
    "enable.idempotence": True,
    "acks": "all",
    "partitioner": "murmur2_random",
}
#: a processor's fetch returns once this much is there …
FETCH_MIN_BYTES = 64 * 1024
#: … or after this long: the most a fetch adds to read-to-delivery, per hop
FETCH_WAIT_MAX_MS = 20

_CONSUMER_GUARANTEES: dict[str, Any] = {
    "enable.auto.commit": False,
    "isolation.level": "read_committed",
}


class ClientFactory:
    """Builds clients for one set of connection settings; holds no client itself."""

    def __init__(self, settings: KafkaSettings, client_id: str = "rax") -> None:
        self.settings = settings
        self.client_id = client_id

    def _base(self) -> dict[str, Any]:
        return {**self.settings.client_config(), "client.id": self.client_id}

    def producer_config(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The configuration ``producer`` uses: for callers that report or test it."""
        return {
            **self._base(),
            "linger.ms": 5,
            "compression.type": "lz4",
            # a topic that does not exist is an operator error (zone not applied): say so in seconds
            "topic.metadata.propagation.max.ms": 5000,
            **(extra or {}),
            **_PRODUCER_GUARANTEES,
        }

    def producer(self, extra: dict[str, Any] | None = None) -> Producer:
        """An idempotent, ``acks=all``, murmur2 producer (``extra`` adds batching, callbacks, client id)."""
        return Producer(self.producer_config(extra))

    def transactional_producer(
        self,
        transactional_id: str,
        timeout_ms: int,
        init_timeout_s: float,
        extra: dict[str, Any] | None = None,
    ) -> Producer:
        """A producer that has called ``init_transactions`` (which fences every earlier holder of the id)."""
        producer = self.producer(
            {
                # commit_transaction flushes at once whatever lingers (librdkafka >= 1.8), so this adds no
                # latency: it only keeps a batch's records together until its commit, one request per
                # partition, instead of one-record batches while the processor still produces
                "linger.ms": 100,
                **(extra or {}),
                "transactional.id": transactional_id,
                "transaction.timeout.ms": timeout_ms,
            }
        )
        producer.init_transactions(init_timeout_s)
        return producer

    def consumer(
        self, group_id: str, extra: dict[str, Any] | None = None, *, isolation: Isolation = "read_committed"
    ) -> Consumer:
        """A read-committed consumer of ``group_id`` that never commits by itself.

        Offsets are stored only by ``store_offsets`` after processing, so ``commit()`` commits what was
        processed. ``isolation="read_uncommitted"`` is the documented escape (see the module doc).
        """
        return Consumer(
            {
                **self._base(),
                "group.id": group_id,
                "auto.offset.reset": "earliest",
                "enable.auto.offset.store": False,
                **(extra or {}),
                **_CONSUMER_GUARANTEES,
                "isolation.level": isolation,
            }
        )

    def group_consumer(
        self,
        group_id: str,
        instance_id: str | None,
        session_timeout_ms: int,
        extra: dict[str, Any] | None = None,
    ) -> Consumer:
        """A member of a consumer group for a transactional loop: static membership, cooperative rebalance."""
        cfg: dict[str, Any] = {
            "session.timeout.ms": session_timeout_ms,
            "partition.assignment.strategy": "cooperative-sticky",
            # each rebalance round waits for every member's next heartbeat (3 s by default): a join
            # takes two rounds, so this bounds how long moving partitions stay unowned
            "heartbeat.interval.ms": 1000,
            # a region added to the zone: its topics match the subscription pattern within seconds
            "topic.metadata.refresh.interval.ms": 5000,
            # librdkafka's 50 MB default, decompressed per partition, cost ~600 MB behind a backlog
            "fetch.max.bytes": 8 * 1024 * 1024,
            # the prefetched queue (all partitions): 16 MB is ~7 batches of 5,000 hits, and behind a
            # backlog every queued MB is resident (64 MB until 2026-12-07)
            "queued.max.messages.kbytes": 16 * 1024,
            # the broker answers a fetch once 64 KiB are there or 20 ms have passed, not at every new
            # record: at 10,000 records/s over 48 partitions, librdkafka's defaults (1 byte, 500 ms)
            # made each consumer cost the broker ~0.25 of a core in fetches, these ~0.02 (docs/runtime.md)
            "fetch.min.bytes": FETCH_MIN_BYTES,
            "fetch.wait.max.ms": FETCH_WAIT_MAX_MS,
            **(extra or {}),
        }
        if instance_id is not None:
            cfg["group.instance.id"] = instance_id
        return self.consumer(group_id, cfg)

    def reader(
        self,
        extra: dict[str, Any] | None = None,
        *,
        isolation: Isolation = "read_committed",
        group_id: str | None = None,
    ) -> Consumer:
        """A consumer for plain assignment (changelogs, compacted tables, tests): joins and commits nothing.

        librdkafka wants a group id even then and looks its coordinator up (a Describe the broker
        authorises): pass one the identity may use (``group_id``), else ``<client id>-reader``.
        """
        extra = {"enable.partition.eof": True, **(extra or {})}
        return self.consumer(group_id or f"{self.client_id}-reader", extra, isolation=isolation)

    def admin(self, extra: dict[str, Any] | None = None) -> AdminClient:
        """An admin client (topics, ACLs, SCRAM users, configs)."""
        return AdminClient({**self._base(), **(extra or {})})
