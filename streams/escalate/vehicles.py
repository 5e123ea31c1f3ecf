"""The plates of each inbox partition: a read observed against its plate's state, logged or journaled, swept.

The ``vehicles`` store keeps each plate's ``VehicleState`` as an object. A plain read that fires nothing
is journaled (``journal``: its row in the transaction's chunk of the ``reads`` store), its plate's state
changed in memory only; any other change logs the state whole. The sweep forgets plates whose reads and
marks left every window, spread over ticks (a pass over a million plates in one tick stalled the loop
~6.5 s: bench_hotpath.py --escalate, 2026-12-06), with a tombstone only for a plate ever logged.

Lifecycle: one ``Vehicles`` per escalate processor, driven from its loop thread.
"""

from __future__ import annotations

import logging

from schemas.escalation import CheckpointSite, EscalationRules
from streams.escalate.journal import ReadJournal
from streams.escalate.rules import Firing, VehicleState, horizon_s, observe, stale
from streams.escalate.seen import Seen
from streams.runtime import Context, Scope, Stores
from streams.runtime.stores import Store
from streams.runtime.sweep import Sweep

__all__ = ["READS", "VEHICLES", "Vehicles", "log_state"]

log = logging.getLogger(__name__)

VEHICLES, READS = "vehicles", "reads"  # the store names (and changelogs: rax-escalate-<name>-changelog)


def log_state(store: Store, plate: str, state: VehicleState) -> None:
    """Write ``plate``'s state to ``store`` (logged: encoded whole at the commit)."""
    state.logged = True
    store[plate] = state


class Vehicles:
    """Plates' states per inbox partition: observed, journaled, rebuilt and swept."""

    def __init__(self) -> None:
        self.journal = ReadJournal()
        self.sweeps: dict[Scope, Sweep] = {}  # the passes over the plates in progress, a slice a tick
        self._rules: EscalationRules | None = None  # the rules ``_retention_s`` is for (asked per read)
        self._retention_s = 0.0

    def observe(
        self, seen: Seen, scope: Scope, ctx: Context, rules: EscalationRules, sites: dict[str, CheckpointSite]
    ) -> tuple[VehicleState, list[Firing]]:
        """``rules.observe`` of ``seen`` against its plate's state in ``scope``: the state, what fired."""
        store = ctx.store(VEHICLES, scope)
        state: VehicleState | None = store.get(seen.plate)
        if seen.is_match:
            rows = None
        else:  # the journal's chunk first: whatever happens next, this scope is restored if it fails
            if rules is not self._rules:
                self._rules, self._retention_s = rules, 2 * horizon_s(rules)
            rows = self.journal.rows(ctx.store(READS, scope), scope, ctx, self._retention_s)
        known = state is not None
        if state is None:
            state = VehicleState()
        firings = observe(state, seen, rules, sites)
        if rows is not None and any(s is seen for s in state.hits):
            rows.append(seen.row())  # kept: journaled (not a re-sent read, not one too late)
        if rows is None or firings:
            log_state(store, seen.plate, state)  # a state changed in place is written at the commit
        elif not known:
            store.load(seen.plate, state)  # in memory only: its reads are in the journal
        return state, firings

    def assigned(self, scope: Scope, stores: Stores, now: float, rules: EscalationRules | None) -> None:
        """Put ``scope``'s journaled reads back into its restored states."""
        count = self.journal.rebuild(stores.get(READS, scope), stores.get(VEHICLES, scope), scope, now, rules)
        if count:
            log.info("%d reads of %s[%d] put back from its journal", count, *scope)

    def revoked(self, scope: Scope) -> None:
        self.journal.forget(scope)
        self.sweeps.pop(scope, None)

    def start_sweep(self, scope: Scope, ctx: Context) -> None:
        """Note the plates of ``scope`` to look at in this pass."""
        self.sweeps[scope] = Sweep({VEHICLES: ctx.store(VEHICLES, scope)}, (VEHICLES,))

    def sweep(self, ctx: Context, rules: EscalationRules | None, budget: int) -> None:
        """Look at up to ``budget`` plates of the passes in progress and forget those whose reads and marks
        all left every window. A plate read again meanwhile is judged as it is then."""
        if rules is None:
            self.sweeps.clear()
            return
        now, cutoff = ctx.now, ctx.now - horizon_s(rules)
        for scope, sweep in list(self.sweeps.items()):
            if budget <= 0:
                break
            items = sweep.take(budget)
            budget -= len(items)
            store = ctx.store(VEHICLES, scope)
            for _, plate in items:
                state: VehicleState | None = store.get(plate)
                if state is not None and stale(state, now, cutoff):
                    store.delete(plate) if state.logged else store.unload(plate)
            if sweep.done:
                del self.sweeps[scope]
