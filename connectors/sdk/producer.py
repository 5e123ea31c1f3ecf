"""How the connector producer batches, and the triage of Kafka errors into retriable, bad input, fatal.

The producer itself is built by ``streams.runtime.ClientFactory``, which owns its guarantees
(idempotence, ``acks=all``, ``murmur2_random``); a connector adds only its batching.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from confluent_kafka import KafkaError

from connectors.sdk.config import RuntimeConfig

__all__ = ["ErrorClass", "batching", "classify", "fatal_hint"]


def batching(runtime: RuntimeConfig) -> dict[str, Any]:
    """The connector's producer settings on top of the factory's guarantees: batch for throughput.

    ``extra_producer_config`` is applied last, but cannot switch a guarantee off (the factory's win).
    """
    return {
        "compression.type": runtime.compression,
        "linger.ms": runtime.linger_ms,
        "batch.size": runtime.batch_size,
        "queue.buffering.max.messages": runtime.queue_max_messages,
        "queue.buffering.max.kbytes": 1_048_576,
        "message.timeout.ms": runtime.message_timeout_ms,
        **runtime.extra_producer_config,
    }


class ErrorClass(Enum):
    """What to do about a Kafka error."""

    RETRIABLE = "retriable"  # produce the record again after a back-off
    BAD_RECORD = "bad_record"  # the record itself cannot be written (too large): to the DLQ
    FATAL = "fatal"  # exit non-zero with a hint


_BAD_RECORD = {KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.INVALID_RECORD}
_FATAL = {
    KafkaError.TOPIC_AUTHORIZATION_FAILED,
    KafkaError.CLUSTER_AUTHORIZATION_FAILED,
    KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    KafkaError._AUTHENTICATION,
    KafkaError.SASL_AUTHENTICATION_FAILED,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._UNKNOWN_TOPIC,
    KafkaError.INVALID_CONFIG,
    KafkaError._INVALID_ARG,
    KafkaError._SSL,
}


def classify(err: KafkaError) -> ErrorClass:
    """Retriable, bad record or fatal, for a delivery report or client error."""
    if err.fatal():
        return ErrorClass.FATAL
    code = err.code()
    if code in _BAD_RECORD:
        return ErrorClass.BAD_RECORD
    if code in _FATAL:
        return ErrorClass.FATAL
    return ErrorClass.RETRIABLE


def fatal_hint(err: KafkaError, topic: str | None = None) -> str:
    """What an operator should do about a fatal error."""
    code = err.code()
    where = f" {topic}" if topic else ""
    if code in (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.CLUSTER_AUTHORIZATION_FAILED):
        return (
            f"this identity may not write{where}: check the region's ACLs (`rax zone apply`) and --username"
        )
    if code in (KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED):
        return "the brokers refused the credentials: check --username / --password / --ca"
    if code in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC):
        return f"topic{where} does not exist: apply the zone first (`rax zone apply ZONE.yaml`)"
    if code == KafkaError._SSL:
        return "TLS failed: check --ca and that the brokers' certificate names this host"
    if err.fatal():
        return (
            "the idempotent producer hit a fatal state; restart the connector (it resumes from its position)"
        )
    return "check the producer settings"
