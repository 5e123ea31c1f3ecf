"""Who holds which input partition in the hot path's consumer group (the coordinator's view)."""

from __future__ import annotations

from confluent_kafka import KafkaException

from schemas.kafka_settings import KafkaSettings
from streams.runtime import ClientFactory

__all__ = ["owners"]


def owners(bootstrap: str, group: str, timeout: float = 10.0) -> dict[str, str]:
    """Partition (``topic[p]``) -> the static member id (``hotpath-bench-<i>``) holding it; {} if unknown."""
    admin = ClientFactory(KafkaSettings(bootstrap_servers=bootstrap), "bench-scaleout-group").admin()
    try:
        desc = admin.describe_consumer_groups([group], request_timeout=timeout)[group].result(timeout)
    except KafkaException:
        return {}
    out: dict[str, str] = {}
    for member in desc.members:
        name = member.group_instance_id or member.member_id
        for tp in member.assignment.topic_partitions if member.assignment else []:
            out[f"{tp.topic}[{tp.partition}]"] = name
    return out
