"""A processor that does nothing but name itself and read one topic (tests of the loop override `process`),
and the topics such a test runs on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka.admin import NewTopic

from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory
from streams.runtime.context import Context
from streams.runtime.records import InRecord
from streams.runtime.stores import Scope, Stores, StoreSpec


class SourceProcessor:
    """Reads ``source``; every hook of the ``Processor`` contract is a no-op until a test overrides it."""

    name = "hotpath"  # a DLQ component: names the group, the transactional id and the DLQ topic

    def __init__(self, source: str) -> None:
        self.source = source

    def topics(self) -> list[str]:
        return [self.source]

    def store_specs(self) -> list[StoreSpec]:
        return []

    def start(self) -> None: ...

    def between_batches(self) -> None: ...

    def assigned(self, scope: Scope, stores: Stores) -> None: ...

    def revoked(self, scope: Scope) -> None: ...

    def process(self, batch: Sequence[InRecord], ctx: Context) -> None: ...

    def tick(self, ctx: Context) -> None: ...

    def not_ready(self) -> list[str]:
        return []

    def views(self) -> dict[str, Callable[[], Any]]:
        return {}

    def close(self) -> None: ...


def source_and_sink(kafka: KafkaSettings, cat: Catalogue) -> tuple[str, str]:
    """A one-partition source and sink topic in ``cat``'s namespace, and the hot path's DLQ topic."""
    source, sink = f"{cat.namespace}.src", f"{cat.namespace}.sink"
    admin = ClientFactory(kafka, "test-admin").admin()
    topics = [NewTopic(t, 1, 1) for t in (source, sink, cat.dlq("hotpath"))]
    for fut in admin.create_topics(topics, operation_timeout=30).values():
        fut.result()
    return source, sink
