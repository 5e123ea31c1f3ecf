"""Errors of the local Kafka tooling, each with a message that says what to do."""

__all__ = ["BrokerError", "KafkaSetupError"]


class KafkaSetupError(RuntimeError):
    """Java, Maven or the Kafka jars are missing or broken; the message says how to fix it."""


class BrokerError(RuntimeError):
    """A local broker did not start, is not running, or did not stop."""
