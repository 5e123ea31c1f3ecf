"""The one transaction whose commit runs in the background while the loop processes the next batch.

Why: ``commit_transaction`` waits for every output to be acknowledged and the transaction markers to be
written (tens of milliseconds on any cluster, more under load), and it releases the GIL while it waits.
Processing batch N+1 during that wait makes read-to-delivery bounded by processing, not by processing
plus a fixed commit cost; what a record waits for is at most one commit and its own batch.

Lifecycle: the loop ``start``s a commit once a transaction's outputs and offsets are sent; before it may
begin another transaction, give up partitions or close, it ``wait``s for it (``settle``). At most one
commit is ever in flight, so the order of transactions, and of a partition's offsets, is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from streams.runtime.context import Context
from streams.runtime.stores import Scope

__all__ = ["Inflight", "InflightCommit"]


@dataclass
class Inflight:
    """A transaction whose outputs and offsets are sent and whose commit is running."""

    batch: list[Any]  # the consumed messages whose offsets it commits
    ctx: Context
    offsets: dict[Scope, int]
    started: float  # monotonic time its batch began processing (for the batch histogram)
    future: Future[None]


class InflightCommit:
    """At most one commit running on a worker thread; ``start`` it, ``wait`` for its outcome."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self.pending: Inflight | None = None

    def start(
        self,
        commit: Callable[[], None],
        batch: list[Any],
        ctx: Context,
        offsets: dict[Scope, int],
        started: float,
    ) -> None:
        assert self.pending is None, "a commit is already in flight"
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rax-commit")
        self.pending = Inflight(batch, ctx, offsets, started, self._pool.submit(commit))

    def wait(self) -> tuple[Inflight, BaseException | None] | None:
        """The commit in flight (now finished) and its error, or None when there was none."""
        pending, self.pending = self.pending, None
        if pending is None:
            return None
        return pending, pending.future.exception()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
