"""Plain reads journaled a chunk per transaction and inbox partition; plates' recent reads rebuilt from them.

Why: the ``vehicles`` store logged a plate's whole state at every read, one changelog record per read
(its encoding, its produce, the broker's work on it: about a fifth of the escalate worker's cost per read
on the benchmark's traffic, where most plates are read once or twice). A plain read that fires nothing
changes only its plate's recent hits, so it is journaled instead: appended to this transaction's chunk
of the partition's ``reads`` store (one changelog record per chunk), while the plate's state is changed
in memory without logging. A state is still logged whole when anything else changes (a match, a firing's
marks, a temporary agreement), as before.

On assignment (a restart, a rebalance, or a failed transaction's restore) ``rebuild`` replays the
partition's chunks into the restored states, in order, each read once (a logged state may hold it too),
and forgets plates that were never logged and are stale, as the sweep would have. A chunk is deleted
once its newest read is ``2 × horizon`` behind the wall clock: a read can be compared only with reads
less than a window from it, so only a read more than a window late finds fewer reads to compare after
a restore than it would have found before it.

Lifecycle: one ``ReadJournal`` per escalate processor, driven from its loop thread.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from schemas.escalation import EscalationRules
from streams.escalate.rules import VehicleState, horizon_s, settle, stale
from streams.escalate.seen import Seen
from streams.runtime import Context, Scope
from streams.runtime.stores import Store

__all__ = ["CHUNK_ROWS", "ReadJournal"]

#: most reads in one chunk (one changelog record): ~110 bytes a read, well under a record's limit
CHUNK_ROWS = 2000
_T = Seen._fields.index("t")


class _Chunk:
    __slots__ = ("key", "newest", "rows")

    def __init__(self, key: str, rows: list[list[Any]] | None, newest: float) -> None:
        self.key, self.rows, self.newest = key, rows, newest

    def close(self) -> None:
        """Note the newest pass time of a chunk no longer appended to (its transaction ended)."""
        if self.rows is not None:
            self.newest = max((r[_T] for r in self.rows), default=-math.inf)
            self.rows = None


class ReadJournal:
    """Each inbox partition's chunks of plain reads: the one open in the current transaction, and which
    are old enough to delete."""

    def __init__(self) -> None:
        self._chunks: dict[Scope, deque[_Chunk]] = {}
        self._next: dict[Scope, int] = {}
        self._ctx: Context | None = None  # the transaction the open chunks belong to
        self._open: dict[Scope, _Chunk] = {}

    def rows(self, reads: Store, scope: Scope, ctx: Context, retention_s: float) -> list[list[Any]]:
        """The rows of ``scope``'s chunk open in ``ctx``'s transaction, made (and logged: encoded at the
        commit with what is appended meanwhile) on first use; chunks past ``retention_s`` are deleted."""
        if ctx is not self._ctx:
            for ended in self._open.values():
                ended.close()
            self._open.clear()
            self._ctx = ctx
        current = self._open.get(scope)
        if current is not None and current.rows is not None and len(current.rows) < CHUNK_ROWS:
            return current.rows
        if current is not None:
            current.close()
        else:  # the first chunk of this scope in this transaction: committed ones leave memory
            reads.forget_committed()
            self._prune(reads, scope, ctx.now - retention_s)
        seq = self._next.get(scope, 0)
        self._next[scope] = seq + 1
        rows: list[list[Any]] = []
        chunk = _Chunk(f"{seq:012d}", rows, math.inf)
        reads[chunk.key] = rows
        self._chunks.setdefault(scope, deque()).append(chunk)
        self._open[scope] = chunk
        return rows

    def _prune(self, reads: Store, scope: Scope, cutoff: float) -> None:
        chunks = self._chunks.get(scope)
        while chunks and chunks[0].rows is None and chunks[0].newest < cutoff:
            reads.delete(chunks.popleft().key)

    def rebuild(
        self, reads: Store, vehicles: Store, scope: Scope, now: float, rules: EscalationRules | None
    ) -> int:
        """Replay ``scope``'s restored chunks into its ``vehicles`` (see module); the reads put back."""
        chunks: deque[_Chunk] = deque()
        touched: dict[str, tuple[VehicleState, set[str]]] = {}
        count = 0
        for key in sorted(reads):
            rows = reads[key]
            chunks.append(_Chunk(key, None, max((r[_T] for r in rows), default=-math.inf)))
            for row in rows:
                seen = Seen.from_row(row)
                got = touched.get(seen.plate)
                if got is None:
                    state = vehicles.get(seen.plate)
                    if state is None:
                        state = VehicleState()
                        vehicles.load(seen.plate, state)
                    got = touched[seen.plate] = (state, {s.event_id for s in state.hits})
                if seen.event_id not in got[1]:  # once: a logged state may hold it already
                    got[1].add(seen.event_id)
                    got[0].hits.append(seen)
                    count += 1
        if rules is not None:
            cutoff = now - horizon_s(rules)
            for plate, (state, _) in touched.items():
                settle(state, rules)
                if not state.logged and stale(state, now, cutoff):
                    vehicles.unload(plate)
        reads.forget_committed()
        self._chunks[scope] = chunks
        self._next[scope] = int(chunks[-1].key) + 1 if chunks else 0
        self._open.pop(scope, None)
        return count

    def forget(self, scope: Scope) -> None:
        """``scope`` was revoked."""
        self._chunks.pop(scope, None)
        self._next.pop(scope, None)
        self._open.pop(scope, None)
