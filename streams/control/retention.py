"""How long the control app keeps what it no longer needs, and the pass that forgets it, a slice per tick.

Without it every store grows for ever: a delivery the hot path announced a year ago, an entry withdrawn
last spring, an alert thread long cancelled — memory, restore time and changelog all grow with the
exchange's age. What may be forgotten, and when (``RetentionPolicy``):

* a **delivery**, ``deliveries_s`` after it was made (default 30 days, far beyond any answer
  deadline): an answer after that is dead-lettered as for an unknown delivery, and its outcome leaves
  the ``/outcomes`` figures, which are therefore those of the last ``deliveries_s``, the same before
  and after a restart;
* a **watchlist entry** that ended (withdrawn or expired), ``entries_s`` after it ended (default 8 days:
  a re-sent command older than the zone's ``times.command_age_s``, 7 days, is refused for its time
  anyway, so its dedup record is no longer needed);
* an **alert message** (the dedup record of a re-send, the target of a reference), ``alerts_s`` after it
  was sent (default 401 days: a reference may name a message up to ``times.record_age_s``, 400 days,
  old); a **thread** once its first message is forgotten;
* a **cooperation request**, ``deliveries_s`` after its ``respond_by`` (an answer after that is
  dead-lettered as for an unknown request; its audit records stay in ``rax.audit``).

Forgetting is a deletion in the store, so the changelog gets its tombstone in the tick's transaction
and a restarted worker restores the same state. The pass runs every ``every_s`` and looks at no more
than ``slice_keys`` keys per tick, so a store of millions never stalls the loop.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from streams.control.config import RetentionPolicy
from streams.control.partition import Partition
from streams.control.watchlist.logic import ACTIVE
from streams.runtime import Context, Scope
from streams.runtime.sweep import Sweep

__all__ = ["SWEPT", "Retention", "stale"]


def stale(
    store: str, key: str, value: Any, now: float, policy: RetentionPolicy, messages: Mapping[str, Any]
) -> bool:
    """True if ``value`` under ``key`` of ``store`` may be forgotten at ``now`` (``messages``: the
    partition's alert messages, by which a thread is judged)."""
    if store == "deliveries":
        return bool(value["delivered_at"] < now - policy.deliveries_s)
    if store == "entries":
        if value["status"] == ACTIVE:
            return False
        ended = value.get("ended_at") or value["expires_at"]
        return bool(ended < now - policy.entries_s)
    if store == "alerts":
        return bool(value["sent"] < now - policy.alerts_s)
    if store == "threads":
        return key not in messages
    if store == "requests":
        return bool(value["respond_by"] < now - policy.deliveries_s)
    return False


#: the stores a pass looks at, in order: threads after alerts, so a thread goes in the pass its first
#: message goes
SWEPT = ("deliveries", "entries", "alerts", "threads", "requests")


class Retention:
    """The passes of one worker: started every ``every_s``, advanced a slice per tick (loop thread)."""

    def __init__(self, policy: RetentionPolicy) -> None:
        self.policy = policy
        self._started = float("-inf")
        self._sweeps: dict[Scope, Sweep] = {}

    def tick(self, ctx: Context, parts: Mapping[Scope, Partition]) -> Counter[str]:
        """Forget what is stale in the next slice of keys; returns how many of each store were forgotten.

        A forgotten delivery's outcome leaves its partition's outcome figures (``Partition.stats``).
        """
        policy = self.policy
        if not self._sweeps and ctx.now - self._started >= policy.every_s:
            self._started = ctx.now
            self._sweeps = {scope: Sweep({n: ctx.store(n, scope) for n in SWEPT}, SWEPT) for scope in parts}
        forgotten: Counter[str] = Counter()
        budget = policy.slice_keys
        for scope, sweep in list(self._sweeps.items()):
            part = parts.get(scope)
            items = sweep.take(budget) if part is not None else []
            budget -= len(items)
            messages = ctx.store("alerts", scope) if items else {}
            for name, key in items:
                store = ctx.store(name, scope)
                value = store.get(key)
                if value is None or not stale(name, key, value, ctx.now, policy, messages):
                    continue
                store.delete(key)
                forgotten[name] += 1
                if name == "deliveries" and value["outcome"] is not None and part is not None:
                    part.stats.change(value, value["outcome"], None)
            if part is None or sweep.done:
                del self._sweeps[scope]
            if budget <= 0:
                break
        return forgotten
