"""Changelog topics on a real broker: created with the runtime's configuration (compacted, close to the live
state), and an existing one made by an earlier version (1 h segments, tombstones kept a day) set to it when
a worker starts."""

from __future__ import annotations

from confluent_kafka.admin import ConfigResource, NewTopic, ResourceType

from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory
from streams.runtime.restore import CHANGELOG_CONFIGS, ensure_changelogs
from streams.runtime.stores import Stores, StoreSpec

#: a store whose deleted keys need not outlive a minute (as the hot path's dedup chunks)
SHORT = {"delete.retention.ms": "60000"}


def _stores(cat: Catalogue) -> Stores:
    specs = [StoreSpec("dedup", changelog_configs=SHORT), StoreSpec("seen")]
    return Stores(specs, lambda name: cat.changelog("test", name), 3)


def _wanted(stores: Stores, topic: str) -> dict[str, str]:
    return {**CHANGELOG_CONFIGS, **(SHORT if topic == stores.topic_of["dedup"] else {})}


def _configs(factory: ClientFactory, topic: str) -> dict[str, str]:
    admin = factory.admin()  # held until the answer is in: a collected client cancels its requests
    res = ConfigResource(ResourceType.TOPIC, topic)
    described = next(iter(admin.describe_configs([res]).values())).result(30)
    return {name: entry.value for name, entry in described.items()}


def test_a_new_changelog_is_compacted_and_rolls_and_forgets_tombstones_in_minutes(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    factory, stores = ClientFactory(kafka, "test-changelogs"), _stores(catalogue)
    ensure_changelogs(factory, stores, None, 30)
    for topic in stores.topic_of.values():
        configs = _configs(factory, topic)
        assert {k: configs[k] for k in CHANGELOG_CONFIGS} == _wanted(stores, topic)
        assert int(configs["segment.ms"]) <= 60_000 and int(configs["delete.retention.ms"]) <= 600_000
    assert _configs(factory, stores.topic_of["dedup"])["delete.retention.ms"] == "60000"


def test_a_changelog_of_an_earlier_version_is_set_to_the_configuration_at_start(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    factory, stores = ClientFactory(kafka, "test-changelogs"), _stores(catalogue)
    old = {"cleanup.policy": "compact", "segment.ms": "3600000"}  # what the runtime created until 2026-12-07
    admin = factory.admin()
    for fut in admin.create_topics(
        [NewTopic(t, 3, 1, config=old) for t in stores.topic_of.values()]
    ).values():
        fut.result()
    topic = stores.topic_of["dedup"]
    assert _configs(factory, topic)["segment.ms"] == "3600000"
    assert _configs(factory, topic)["delete.retention.ms"] == "86400000"  # the broker's default: a day

    ensure_changelogs(factory, stores, None, 30)
    for t in stores.topic_of.values():
        configs = _configs(factory, t)
        assert {k: configs[k] for k in CHANGELOG_CONFIGS} == _wanted(stores, t)

    ensure_changelogs(factory, stores, None, 30)  # the next start finds nothing to change
    assert {k: _configs(factory, topic)[k] for k in CHANGELOG_CONFIGS} == _wanted(stores, topic)
