"""The dead-letter contract: the ``rax.dlq.*`` headers put on a rejected record's original bytes.

A dead letter is the rejected record's original key and value, unchanged, on its component's dead-letter
topic (``Catalogue.dlq``: ``rax.dlq.<region>.<component>`` for a region's connectors and centre sink,
``rax.dlq.<component>`` for the processors'), with these headers (values UTF-8):

============================  ==========================================================  ==========
header                        value                                                       required
============================  ==========================================================  ==========
``rax.dlq.reason``            a ``DlqReason`` code (bounded: used as a metric label)      yes
``rax.dlq.stage``             a ``DlqStage`` code: where in the component it failed       yes
``rax.dlq.component``         the component that rejected it (``topics.DLQ_COMPONENTS``)  yes
``rax.dlq.error``             free text a person can act on (at most 4000 bytes)          yes
``rax.dlq.source.topic``      topic the record was read from                              if any
``rax.dlq.source.partition``  its partition, decimal                                      if any
``rax.dlq.source.offset``     its offset, decimal                                         if any
``rax.dlq.time``              when it was rejected, ISO 8601 UTC (``…Z``)                 yes
``rax.dlq.original.size``     the original value's size in bytes, decimal                 if cut
``rax.dlq.original.sha256``   hex SHA-256 of the original value                           if cut
``rax.dlq.truncated``         ``value`` (value cut to a bound) or ``stub`` (no value)     if cut
============================  ==========================================================  ==========

Headers the record already had are kept before these (bounded in number and size, so a dead letter can
always be produced). A value larger than the writer's bound is cut to it: the dead letter then says how
large the original was and its digest, and the original stays on its source topic at the offset given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from schemas.topics import DLQ_COMPONENTS

__all__ = [
    "COMPONENT",
    "ERROR",
    "HEADER_PREFIX",
    "MAX_ERROR_BYTES",
    "ORIGINAL_SHA256",
    "ORIGINAL_SIZE",
    "REASON",
    "SOURCE_OFFSET",
    "SOURCE_PARTITION",
    "SOURCE_TOPIC",
    "STAGE",
    "TIME",
    "TRUNCATED",
    "DeadLetter",
    "DlqHeaderError",
    "DlqReason",
    "DlqStage",
    "dlq_headers",
    "parse_dlq_headers",
]

HEADER_PREFIX = "rax.dlq."
REASON = "rax.dlq.reason"
STAGE = "rax.dlq.stage"
COMPONENT = "rax.dlq.component"
ERROR = "rax.dlq.error"
SOURCE_TOPIC = "rax.dlq.source.topic"
SOURCE_PARTITION = "rax.dlq.source.partition"
SOURCE_OFFSET = "rax.dlq.source.offset"
TIME = "rax.dlq.time"
ORIGINAL_SIZE = "rax.dlq.original.size"
ORIGINAL_SHA256 = "rax.dlq.original.sha256"
TRUNCATED = "rax.dlq.truncated"

#: The error text is cut to this many UTF-8 bytes, so a dead letter stays small.
MAX_ERROR_BYTES = 4000

_DIGITS = re.compile(r"[0-9]+")
_T = TypeVar("_T")


class DlqReason(StrEnum):
    """Why a record was rejected: short, bounded codes (metric labels); the detail is in the error."""

    INVALID_JSON = "invalid_json"  # the value is not JSON (or not UTF-8)
    SCHEMA_VIOLATION = "schema_violation"  # JSON, but not the wire model (field path in the error)
    UNSUPPORTED_VERSION = "unsupported_version"  # a schema_version this build does not know
    REGION_MISMATCH = "region_mismatch"  # the region inside differs from the topic's: impersonation
    NOT_AUTHORISED = "not_authorised"  # e.g. a withdrawal by a region that does not own the entry
    UNKNOWN_REFERENCE = "unknown_reference"  # an update, withdrawal or ack of something unknown
    BAD_SOURCE_RECORD = "bad_source_record"  # a connector could not read its source record
    TOO_LARGE = "too_large"  # over the size limit
    RETRIES_EXHAUSTED = "retries_exhausted"  # a retriable failure that did not clear in time
    PROCESSING_ERROR = "processing_error"  # an unexpected exception: a bug to fix
    REJECTED_BY_RECIPIENT = "rejected_by_recipient"  # a centre's own system refused a delivery (HTTP 4xx)
    IMPLAUSIBLE_TIME = "implausible_time"  # a time too far from the receiving clock (schemas.times)
    FORGED = "forged"  # no valid MAC of its topic's region (rax.mac): not made by that region's connectors
    UNOPENABLE = "unopenable"  # a sealed delivery the reader holds no key for, or that does not open


class DlqStage(StrEnum):
    """Where in the component the record was rejected."""

    SOURCE = "source"  # reading the external source (connectors)
    DECODE = "decode"  # bytes -> wire model
    VALIDATE = "validate"  # checks beyond the schema (topic region, ownership, references)
    PROCESS = "process"  # the component's own logic
    PRODUCE = "produce"  # writing the result


class DlqHeaderError(ValueError):
    """Headers that are not a valid dead-letter header set; the message names the header."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """The context of one rejected record; ``dlq_headers`` turns it into Kafka headers."""

    reason: DlqReason
    stage: DlqStage
    component: str
    error: str
    source_topic: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        if self.component not in DLQ_COMPONENTS:
            raise ValueError(f"unknown DLQ component {self.component!r}; known: {', '.join(DLQ_COMPONENTS)}")
        if self.time.tzinfo is None or self.time.utcoffset() is None:
            raise ValueError("DeadLetter.time must be timezone-aware")
        for name in ("source_partition", "source_offset"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"DeadLetter.{name} must not be negative, got {value}")


def _truncate(text: str, limit: int = MAX_ERROR_BYTES) -> bytes:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return data
    return data[: limit - 3].decode("utf-8", errors="ignore").encode("utf-8") + b"..."


def _format_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def dlq_headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    """The ``rax.dlq.*`` headers for ``letter``; append them to the record's own headers."""
    headers = [
        (REASON, letter.reason.value.encode()),
        (STAGE, letter.stage.value.encode()),
        (COMPONENT, letter.component.encode()),
        (ERROR, _truncate(letter.error)),
    ]
    if letter.source_topic is not None:
        headers.append((SOURCE_TOPIC, letter.source_topic.encode("utf-8")))
    if letter.source_partition is not None:
        headers.append((SOURCE_PARTITION, str(letter.source_partition).encode()))
    if letter.source_offset is not None:
        headers.append((SOURCE_OFFSET, str(letter.source_offset).encode()))
    headers.append((TIME, _format_time(letter.time).encode()))
    return headers


def parse_dlq_headers(headers: Iterable[tuple[str, bytes | str | None]] | None) -> DeadLetter:
    """The ``DeadLetter`` in a record's headers (other headers ignored; the last value of a name wins).

    Raises ``DlqHeaderError`` naming the header that is missing or invalid.
    """
    values: dict[str, str] = {}
    for name, value in headers or ():
        if name.startswith(HEADER_PREFIX) and value is not None:
            values[name] = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value

    def required(name: str) -> str:
        if name not in values:
            raise DlqHeaderError(f"dead letter without header {name}")
        return values[name]

    def integer(name: str) -> int | None:
        if name not in values:
            return None
        if not _DIGITS.fullmatch(values[name]):
            raise DlqHeaderError(f"header {name} must be a non-negative integer, got {values[name]!r}")
        return int(values[name])

    def parsed(name: str, parse: Callable[[str], _T]) -> _T:
        try:
            return parse(required(name))
        except DlqHeaderError:
            raise
        except ValueError:
            raise DlqHeaderError(f"header {name} has an invalid value {values[name]!r}") from None

    reason, stage, time = parsed(REASON, DlqReason), parsed(STAGE, DlqStage), parsed(TIME, _parse_time)
    component = required(COMPONENT)
    if component not in DLQ_COMPONENTS:
        raise DlqHeaderError(f"header {COMPONENT} names an unknown component {component!r}")
    return DeadLetter(
        reason=reason,
        stage=stage,
        component=component,
        error=required(ERROR),
        source_topic=values.get(SOURCE_TOPIC),
        source_partition=integer(SOURCE_PARTITION),
        source_offset=integer(SOURCE_OFFSET),
        time=time,
    )


def _parse_time(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError("naive time")
    return at.astimezone(UTC)
