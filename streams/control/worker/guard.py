"""No exception escapes an agent: every failure sends the record to the DLQ (or, if unresolved, to a retry).

``guard`` runs one record's handler. ``Rejected`` (bad input) and any other exception (a bug) go to
``rax.dlq.control`` with the original key, value and headers plus the ``rax.dlq.*`` headers;
``Unresolved`` (a reference not known yet) goes to the app's retry topic with ``rax.retry.*`` headers
until ``retries`` attempts have failed, then to the DLQ. The record is acknowledged only after that.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from schemas.dlq import DlqReason, DlqStage
from streams.control.common import Rejected, Unresolved
from streams.control.metrics import ControlMetrics

__all__ = ["RETRY_PREFIX", "Headers", "Sink", "Source", "guard", "retry_headers", "source_from_retry"]

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]
RETRY_PREFIX = "rax.retry."


@dataclass(frozen=True, slots=True)
class Source:
    """Where a record came from: its stream, original topic, partition, offset, region; the attempt."""

    stream: str
    topic: str
    partition: int
    offset: int
    region: str
    attempt: int = 0


class Sink(Protocol):
    """Where rejected and unresolved records go (the runtime's DLQ and retry topics)."""

    async def dead_letter(
        self, source: Source, key: bytes | None, value: bytes | None, headers: Headers, why: Rejected
    ) -> None: ...

    async def retry(
        self, source: Source, key: bytes | None, value: bytes | None, headers: Headers
    ) -> None: ...


async def guard(
    sink: Sink,
    metrics: ControlMetrics,
    source: Source,
    record: tuple[bytes | None, bytes | None, Headers],
    handler: Callable[[], Awaitable[str]],
    retries: int,
) -> str:
    """Run ``handler`` (returns ``ok`` or ``duplicate``); never raises. Returns the outcome."""
    key, value, headers = record
    try:
        outcome = await handler()
    except Unresolved as exc:
        if source.attempt < retries:
            await sink.retry(replace(source, attempt=source.attempt + 1), key, value, headers)
            outcome = "retried"
        else:
            outcome = await _reject(sink, metrics, source, record, exc)
    except Rejected as exc:
        outcome = await _reject(sink, metrics, source, record, exc)
    except Exception as exc:  # a bug: the record must not be skipped silently
        log.exception("%s: %s[%d]@%d failed", source.stream, source.topic, source.partition, source.offset)
        error = Rejected(DlqReason.PROCESSING_ERROR, DlqStage.PROCESS, f"{type(exc).__name__}: {exc}")
        outcome = await _reject(sink, metrics, source, record, error)
    metrics.records.labels(source.stream, outcome).inc()
    metrics.processed += 1
    return outcome


async def _reject(
    sink: Sink,
    metrics: ControlMetrics,
    source: Source,
    record: tuple[bytes | None, bytes | None, Headers],
    why: Rejected,
) -> str:
    key, value, headers = record
    log.warning(
        "%s: %s[%d]@%d rejected: %s", source.stream, source.topic, source.partition, source.offset, why
    )
    await sink.dead_letter(source, key, value, headers, why)
    metrics.dead_letters.labels(source.stream, why.reason.value, why.stage.value).inc()
    return "rejected"


def retry_headers(source: Source, headers: Headers, delay: float) -> list[tuple[str, bytes]]:
    """The record's own headers plus where it came from, the attempt and when to try it again."""
    own = [(k, v) for k, v in headers if not k.startswith(RETRY_PREFIX)]
    ours = {
        "stream": source.stream,
        "topic": source.topic,
        "partition": str(source.partition),
        "offset": str(source.offset),
        "region": source.region,
        "attempt": str(source.attempt),
        "not_before": f"{time.time() + delay * source.attempt:.3f}",
    }
    return own + [(RETRY_PREFIX + k, v.encode()) for k, v in ours.items()]


def source_from_retry(headers: Headers) -> tuple[Source, float, list[tuple[str, bytes]]]:
    """The source, not-before time and original headers of a record on the retry topic."""
    values = {k[len(RETRY_PREFIX) :]: v.decode() for k, v in headers if k.startswith(RETRY_PREFIX)}
    source = Source(
        stream=values["stream"],
        topic=values["topic"],
        partition=int(values["partition"]),
        offset=int(values["offset"]),
        region=values["region"],
        attempt=int(values["attempt"]),
    )
    own = [(k, v) for k, v in headers if not k.startswith(RETRY_PREFIX)]
    return source, float(values["not_before"]), own
