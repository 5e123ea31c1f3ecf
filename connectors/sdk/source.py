"""The source connector contract: what a connector implements, and what the runtime gives it."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from connectors.sdk.records import Batch, Position, RecordKind

__all__ = ["Source", "SourceContext"]

C = TypeVar("C", bound=BaseModel)


@dataclass
class SourceContext:
    """What the runtime tells a source: who it is and whether Kafka keeps up.

    ``backpressure`` is set by the runtime while its producer queue is full or too many records are
    in flight; a push source (HTTP) answers 503 while it is set. ``stopping`` is set on shutdown.
    """

    region: str
    source_id: str
    logger: logging.Logger
    backpressure: threading.Event = field(default_factory=threading.Event)
    stopping: threading.Event = field(default_factory=threading.Event)


class Source(ABC, Generic[C]):
    """A source connector: it only moves records; the runtime owns Kafka, positions, DLQ and metrics.

    Lifecycle: built with its frozen config and a context; ``setup(position)`` once with the last
    stored position (None on a first start); ``poll(timeout)`` repeatedly, returning promptly (an empty
    batch when idle); ``commit(position)`` after a position is stored (Kafka acknowledged everything
    before it); ``stop()`` once at the end, also after a failure. ``poll`` is never called concurrently
    with itself or ``stop``.
    """

    #: the registry name, e.g. ``checkpoint-file``
    name: ClassVar[str]
    #: what it publishes
    kind: ClassVar[RecordKind]
    #: its config model: frozen pydantic, a description on every field
    config_model: ClassVar[type[BaseModel]]
    #: one line for ``rax connector list``
    summary: ClassVar[str] = ""

    def __init__(self, config: C, context: SourceContext) -> None:
        self.config = config
        self.context = context
        self.log = context.logger

    def setup(self, position: Position | None) -> None:
        """Open the source and continue after ``position`` (None: from the source's beginning)."""

    @abstractmethod
    def poll(self, timeout: float) -> Batch:
        """The next records, waiting at most ``timeout`` seconds for some; never blocks longer."""

    def commit(self, position: Position) -> None:
        """``position`` is stored: everything before it is in Kafka (e.g. delete or archive input)."""

    def stop(self) -> None:
        """Release the source (close files, stop servers); called once."""

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The config's JSON Schema, for ``rax connector describe`` and the docs."""
        return cls.config_model.model_json_schema()
