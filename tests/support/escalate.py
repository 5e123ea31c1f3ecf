"""The escalate processor in a test: its loop in a test thread, and waiting until it settles."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry

from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.escalate.config import EscalateSettings
from streams.escalate.processor import EscalateProcessor
from streams.runtime import ClientFactory, RuntimeSettings, StreamLoop
from tests.support.hotpath import running_loop
from tests.support.kafka import wait_until_committed

__all__ = ["running_escalate", "settle_hits"]


@contextmanager
def running_escalate(
    kafka: KafkaSettings, cat: Catalogue, worker_id: str = "0", **over: Any
) -> Iterator[StreamLoop]:
    """The escalate processor's loop (worker ``worker_id``; ``over``: fields of ``RuntimeSettings``),
    stopped at the end."""
    runtime = RuntimeSettings(
        kafka=kafka,
        namespace=cat.namespace,
        worker_id=worker_id,
        batch_timeout_s=0.02,
        max_input_bytes=256 * 1024,
        **over,
    )
    registry = CollectorRegistry()
    processor = EscalateProcessor(
        EscalateSettings(runtime=runtime), ClientFactory(kafka, "test-escalate"), registry
    )
    with running_loop(StreamLoop(processor, runtime, registry)) as loop:
        yield loop


def settle_hits(
    kafka: KafkaSettings, cat: Catalogue, regions: tuple[str, ...] = ("510000", "500000")
) -> None:
    """The hot path and the escalate processor have committed every hit of ``regions`` (two hops)."""
    hits = [cat.in_hits(r) for r in regions]
    for _ in range(2):
        wait_until_committed(kafka, f"{cat.processor_prefix}hotpath", hits)
        wait_until_committed(
            kafka, f"{cat.processor_prefix}escalate", [*hits, cat.matches, cat.escalate_inbox]
        )
