"""What the app derives from one inbox partition's stores: timer heaps, parked-alert index, outcome counts.

Lifecycle: built by ``Partition.rebuild`` when the runtime assigns the partition (its stores restored),
kept up to date as records and timers change the stores, dropped when the partition is revoked. Nothing
here is state of its own: every item is checked against the stores when it fires, so a stale or
repeated item is harmless. ``emit`` is how decisions leave: a delivery also goes to the inbox, so the
partition that owns its id learns it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.inbox import InboxKind, inbox_headers
from schemas.topics import Catalogue
from streams.control.acks.deadlines import DueQueue, due_items
from streams.control.acks.outcomes import OutcomeStats
from streams.control.common import Output
from streams.control.config import DeadlinePolicy
from streams.control.requests.deadlines import request_due_items
from streams.control.state import DeliveryState, EntryState, ParkedState, RequestState
from streams.control.watchlist.logic import ACTIVE
from streams.runtime import Context, Headers, Scope, Stores

__all__ = ["STORES", "Partition", "emit"]

#: The stores of every inbox partition.
STORES = ("alerts", "threads", "deliveries", "entries", "parked", "requests")


@dataclass
class Partition:
    """The derived state of one inbox partition (``scope``)."""

    scope: Scope
    due: DueQueue = field(default_factory=DueQueue)  # (due, delivery id, stage)
    request_due: DueQueue = field(default_factory=DueQueue)  # (due, "<request id> <region>", stage)
    expiries: DueQueue = field(default_factory=DueQueue)  # (expires_at, entry id, "expire")
    parked_due: DueQueue = field(default_factory=DueQueue)  # (until, parked key, "park")
    waiting: dict[str, set[str]] = field(default_factory=dict)  # message key -> parked keys
    stats: OutcomeStats = field(default_factory=OutcomeStats)

    @classmethod
    def rebuild(cls, scope: Scope, stores: Stores, policy: DeadlinePolicy) -> Partition:
        """Derive everything from the restored stores of ``scope``."""
        part = cls(scope)
        for did, state in stores.get("deliveries", scope).items():
            part.schedule(policy, did, state)
            if state["outcome"] is not None:
                part.stats.change(state, None, state["outcome"])
        for entry_id, entry in stores.get("entries", scope).items():
            part.expire_at(entry_id, entry)
        for key, parked in stores.get("parked", scope).items():
            part.park(key, parked)
        for request_id, request in stores.get("requests", scope).items():
            part.schedule_request(policy, request_id, request)
        return part

    def schedule(self, policy: DeadlinePolicy, did: str, state: DeliveryState) -> None:
        """Push the deadlines ``state`` is still owed."""
        for item in due_items(policy, did, state):
            self.due.push(item)

    def schedule_request(self, policy: DeadlinePolicy, request_id: str, state: RequestState) -> None:
        """Push the deadlines a request's recipients still owe."""
        for item in request_due_items(policy, request_id, state):
            self.request_due.push(item)

    def expire_at(self, entry_id: str, entry: EntryState) -> None:
        if entry["status"] == ACTIVE:
            self.expiries.push((entry["expires_at"], entry_id, "expire"))

    def park(self, key: str, parked: ParkedState) -> None:
        """Index a parked alert by the message it waits for, and its deadline."""
        self.parked_due.push((parked["until"], key, "park"))
        if parked["waits"] is not None:
            self.waiting.setdefault(parked["waits"], set()).add(key)

    def waiting_for(self, message_keys: list[str]) -> list[str]:
        """Take the parked keys waiting for any of ``message_keys``, in arrival order."""
        found: set[str] = set()
        for key in message_keys:
            found |= self.waiting.pop(key, set())
        return sorted(found)


def emit(ctx: Context, cat: Catalogue, outputs: list[Output]) -> list[str]:
    """Produce ``outputs``; a delivery's notice also goes to the inbox (key: its id).

    Returns the recipients of the deliveries.
    """
    recipients = []
    for out in outputs:
        ctx.emit(out.topic, out.key, out.value)
        if out.notice is not None:
            recipient = out.topic[len(cat.out_prefix) :]
            recipients.append(recipient)
            headers: Headers = [*inbox_headers(InboxKind.NOTICE, recipient)]
            ctx.emit(cat.control_inbox, out.key, out.notice, headers)
    return recipients
