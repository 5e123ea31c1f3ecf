"""The contract between the runtime and a processor: a function from a batch and its state to records.

A processor declares what it reads (topic names or ``^regex`` patterns, so a region added to the zone is
picked up without a restart) and its stores; the loop calls ``process`` with each batch and ``tick`` for
timers, both inside one transaction. ``process`` must account for every record: outputs, a dead letter
(``ctx.dead_letter``) or a count; an exception it lets escape makes the loop abort the transaction,
restore state and retry the batch one record at a time, dead-lettering the record that raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from streams.runtime.context import Context
from streams.runtime.records import InRecord
from streams.runtime.stores import Scope, Stores, StoreSpec

__all__ = ["Processor"]


class Processor(Protocol):
    """What the loop runs. ``name`` is a DLQ component (``hotpath``, ``control``): it names the group,
    the transactional id and the dead-letter topic."""

    name: str

    def topics(self) -> list[str]:
        """Subscription: topic names and ``^regex`` patterns."""
        ...

    def store_specs(self) -> list[StoreSpec]:
        """The stores kept per input partition (restored on assignment)."""
        ...

    def start(self) -> None:
        """Before the first batch: load global tables (zone, watchlist) to their end."""
        ...

    def between_batches(self) -> None:
        """Cheap work between batches (follow global tables)."""
        ...

    def assigned(self, scope: Scope, stores: Stores) -> None:
        """A partition was assigned and its stores restored: rebuild what is derived from them."""
        ...

    def revoked(self, scope: Scope) -> None:
        """A partition went to another worker: forget what is derived from it."""
        ...

    def process(self, batch: Sequence[InRecord], ctx: Context) -> None:
        """Handle one batch (records of any assigned partitions, in offset order per partition)."""
        ...

    def tick(self, ctx: Context) -> None:
        """Timers: fire what is due at ``ctx.now`` (called at most every ``tick_s``)."""
        ...

    def not_ready(self) -> list[str]:
        """Why the processor is not ready (empty when it is)."""
        ...

    def views(self) -> dict[str, Callable[[], Any]]:
        """Extra JSON endpoints beside /metrics (path -> function returning a JSON-able value)."""
        ...

    def close(self) -> None:
        """At the end: close what the processor opened."""
        ...
