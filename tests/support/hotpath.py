"""Helpers for hot-path tests on the real broker: a zone, watchlist records, hits, a worker in a thread."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Producer
from prometheus_client import CollectorRegistry

from ops.zone import apply_zone, load_zone_file
from schemas.codec import encode
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from schemas.watchlist import WatchlistEntry
from streams.hotpath.config import HotpathSettings
from streams.hotpath.processor import HotpathProcessor
from streams.runtime import ClientFactory, RuntimeSettings, StreamLoop
from tests.support.kafka import wait_until_committed
from tests.unit.models_factories import entry, hit_data

EXAMPLE_ZONE = Path(__file__).parents[2] / "ops" / "zones" / "chuanyu.yaml"

__all__ = [
    "EXAMPLE_ZONE",
    "HitFactory",
    "apply_example_zone",
    "make_entry",
    "producer",
    "publish_entries",
    "running_loop",
    "running_worker",
]


def apply_example_zone(
    kafka: KafkaSettings, cat: Catalogue, hit_partitions: int = 3, credentials: Path | None = None
) -> None:
    """The example zone in ``cat``'s namespace; on a secured cluster (``credentials``) with its ACLs."""
    zone = load_zone_file(EXAMPLE_ZONE)
    zone = zone.model_copy(
        update={
            "topics": zone.topics.model_copy(
                update={"hit_partitions": hit_partitions, "shared_partitions": 3}
            )
        }
    )
    apply_zone(zone, kafka, cat, secure=credentials is not None, credentials=credentials)


def wait_hotpath_caught_up(kafka: KafkaSettings, cat: Catalogue, timeout: float = 60.0) -> None:
    """Wait until the hot path committed every hit of the example zone: then nothing more comes out."""
    regions = [r.code for r in load_zone_file(EXAMPLE_ZONE).regions]
    topics = [cat.in_hits(r) for r in regions]
    wait_until_committed(kafka, f"{cat.processor_prefix}hotpath", topics, timeout)


def producer(kafka: KafkaSettings) -> Producer:
    """A producer as a region's connector has one (the factory's guarantees), batching little."""
    return ClientFactory(kafka, "test-producer").producer({"linger.ms": 2})


def make_entry(owner: str, plate: str, **over: Any) -> WatchlistEntry:
    now = datetime.now(UTC)
    over.setdefault("scope", [])
    over.setdefault("expires_at", (now + timedelta(days=30)).isoformat())
    over.setdefault("placed_at", (now - timedelta(hours=1)).isoformat())
    return entry(entry_id=str(uuid.uuid4()), owner=owner, plate=plate, **over)


def publish_entries(
    kafka: KafkaSettings, cat: Catalogue, entries: list[WatchlistEntry], tombstones: list[str] = ()
) -> None:  # type: ignore[assignment]
    p = producer(kafka)
    for e in entries:
        p.produce(cat.watchlist, encode(e), e.entry_id.encode())
    for entry_id in tombstones:
        p.produce(cat.watchlist, None, entry_id.encode())
    assert p.flush(30) == 0


class HitFactory:
    """Checkpoint hits as connectors publish them (JSON, keyed by plate), with fresh pass times."""

    def __init__(self, kafka: KafkaSettings, cat: Catalogue) -> None:
        self.cat = cat
        self.producer = producer(kafka)

    def send(
        self,
        region: str,
        plate: str,
        *,
        topic_region: str | None = None,
        checkpoint: str | None = None,
        event_id: str | None = None,
        pass_time: datetime | None = None,
        **over: Any,
    ) -> str:
        event_id = event_id or str(uuid.uuid4())
        data = hit_data(
            event_id=event_id,
            region=region,
            plate=plate,
            checkpoint_id=checkpoint or f"{region}-K0001",
            pass_time=(pass_time or datetime.now(UTC)).isoformat(),
            **over,
        )
        self.producer.produce(self.cat.in_hits(topic_region or region), orjson.dumps(data), plate.encode())
        self.producer.poll(0)
        return event_id

    def flush(self) -> None:
        assert self.producer.flush(30) == 0


@contextmanager
def running_worker(
    kafka: KafkaSettings,
    cat: Catalogue,
    registry: CollectorRegistry | None = None,
    worker_id: str = "0",
    **settings: Any,
) -> Iterator[StreamLoop]:
    """A hot-path worker (the runtime's loop) in a thread of the test process, stopped and joined at the end.

    ``settings``: fields of ``HotpathSettings``, or of ``RuntimeSettings`` (batch_size, …).
    """
    runtime_fields = set(RuntimeSettings.model_fields)
    runtime = RuntimeSettings(
        kafka=kafka,
        namespace=cat.namespace,
        worker_id=worker_id,
        batch_timeout_s=0.02,
        max_input_bytes=64 * 1024,
        **{k: v for k, v in settings.items() if k in runtime_fields},
    )
    hotpath = HotpathSettings(
        runtime=runtime, **{k: v for k, v in settings.items() if k not in runtime_fields}
    )
    registry = registry or CollectorRegistry()
    processor = HotpathProcessor(hotpath, ClientFactory(kafka, f"test-hotpath-{worker_id}"), registry)
    loop = StreamLoop(processor, runtime, registry)
    with running_loop(loop) as running:
        yield running


@contextmanager
def running_loop(loop: StreamLoop, ready_timeout: float = 60.0) -> Iterator[StreamLoop]:
    """Any processor's loop in a thread of the test process; errors in the loop fail the test."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            loop.run(stop)
        except BaseException as exc:  # surfaced to the test below
            errors.append(exc)

    thread = threading.Thread(target=run, name=f"{loop.processor.name}-loop", daemon=True)
    thread.start()
    try:
        assert loop.ready.wait(ready_timeout) or errors, "the loop did not become ready"
        if errors:
            raise errors[0]
        yield loop
    finally:
        stop.set()
        thread.join(30)
        if errors:
            raise errors[0]
