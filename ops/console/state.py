"""The console's live state: the history, the open event streams, and the journal of what was done.

Everything here runs on the server's event loop; the feed thread hands records over with
``call_soon_threadsafe``. Events are fanned out to one bounded queue per open tab; a tab that cannot
keep up is dropped and reconnects with its Last-Event-ID (and catches up from the history).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.centre_sink.logic import opened_body
from ops.console.config import ConsoleSettings
from ops.console.feed import FeedStatus
from ops.console.history import History
from ops.console.items import Item, item_of
from ops.console.journal import Journal
from ops.keys import KeyStore, SealKeyLookup
from schemas.cap import Reference
from schemas.crypto import OpenError

__all__ = ["ConsoleState", "Event"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """One server-sent event: ``kind`` (item / state / status), its id (items only) and its data."""

    kind: str
    data: Any
    seq: int | None = None


class ConsoleState:
    """Lifecycle: built by the app, fed by ``record``/``status`` from the feed, read by the routes."""

    def __init__(self, settings: ConsoleSettings, epoch: str) -> None:
        self.settings = settings
        self._keys = SealKeyLookup(KeyStore(settings.keys), settings.region) if settings.keys else None
        self.epoch = epoch  # names this run: a Last-Event-ID of another run is not a position in ours
        self.history = History()
        self.journal = Journal(settings.journal)
        self.feed_status: FeedStatus = {"state": "catching_up", "behind": 0, "since": time.time()}
        self.queues: set[asyncio.Queue[Event]] = set()
        self.answers: dict[str, list[str]] = {}
        self.sent: dict[str, tuple[Reference, str]] = {}  # identifier → (reference, headline)
        self.shown_total = 0
        self.threads: dict[str, str] = {}  # request id → the delivery id of its card here
        self.replies: dict[str, list[str]] = {}  # request id → the answers delivered, in arrival order
        self.members: dict[str, list[str]] = {}  # request id → its request's and answers' delivery ids
        for entry in self.journal.entries():
            self._replay(entry)

    def _replay(self, entry: dict[str, Any]) -> None:
        if entry.get("what") in _ANSWERS:
            self.answers.setdefault(entry["delivery_id"], []).append(_answer_text(entry))
        elif entry.get("what") == "alert":
            ref = Reference(sender=entry["sender"], identifier=entry["identifier"],
                            sent=datetime.fromisoformat(entry["sent"]))  # fmt: skip
            self.sent[entry["identifier"]] = (ref, entry.get("headline", ""))

    def record(self, raw: bytes) -> None:
        """A record of the out topic: kept and pushed to every tab if it is a new delivery."""
        try:
            raw = opened_body(raw, self._keys)
        except OpenError as exc:  # shown as it came (its kind and owner), the officer told why in the log
            log.error("a sealed delivery is shown unopened: %s", exc)
        try:
            item = item_of(raw, self.settings.region, self.settings.deadlines)
        except Exception:  # one record the page cannot show never stops the ones after it
            log.exception("a record of the out topic could not be shown")
            return
        if item is None:
            return
        answers = self.answers.get(item.delivery_id)
        if answers:
            item.answers, item.status = list(answers), "answered"
        if item.thread is not None and item.kind == "request" and item.request_id is None:
            self.threads[item.thread] = item.delivery_id  # the requester's own copy: the thread's head
            item.answers += self.replies.get(item.thread, [])
        if self.history.add(item):
            self.shown_total += 1
            self._publish(Event("item", item, item.seq))
            if item.thread is not None:
                self.members.setdefault(item.thread, []).append(item.delivery_id)
            if item.thread is not None and item.kind == "request_answer":
                self._thread_answer(item)

    def _thread_answer(self, answer: Item) -> None:
        """An answer delivered: said on the requester's request card too (it follows the thread there; a
        recipient's card shows what its own officers answered)."""
        text = answer.title.removeprefix("answer: ").split(" request ")[0]
        self.replies.setdefault(answer.thread or "", []).append(text)
        head = self.history.get(self.threads.get(answer.thread or "", ""))
        if head is not None:
            head.answers.append(text)
            self._publish(Event("state", {"id": head.delivery_id, "answers": head.answers}))

    def thread_items(self, request_id: str) -> list[Item]:
        """The deliveries of one request's thread still in the history, in arrival order."""
        found = (self.history.get(d) for d in self.members.get(request_id, []))
        return [i for i in found if i is not None]

    def status(self, status: FeedStatus) -> None:
        self.feed_status = status
        self._publish(Event("status", status))

    def done(self, entry: dict[str, Any]) -> None:
        """An action that Kafka accepted: journaled, applied, and shown on every tab."""
        self.journal.append(entry)
        self._replay(entry)
        if entry.get("what") in _ANSWERS:
            item = self.history.get(entry["delivery_id"])
            if item is not None:
                item.answers, item.status = list(self.answers[entry["delivery_id"]]), "answered"
                self._publish(Event("state", {"id": item.delivery_id, "answers": item.answers}))

    def subscribe(self) -> asyncio.Queue[Event]:
        q: asyncio.Queue[Event] = asyncio.Queue(maxsize=5000)
        self.queues.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[Event]) -> None:
        self.queues.discard(q)

    def close(self) -> None:
        """Ends every open event stream (the server is stopping)."""
        for q in list(self.queues):
            self.queues.discard(q)
            with contextlib.suppress(asyncio.QueueFull):
                q.put_nowait(Event("end", None))

    def _publish(self, event: Event) -> None:
        for q in list(self.queues):
            try:
                q.put_nowait(event)
            except asyncio.QueueFull:  # a stalled tab: drop it; it resumes from its Last-Event-ID
                self.queues.discard(q)

    def backlog(self, last_event_id: str | None) -> list[Item]:
        """What a tab (re)connecting with ``last_event_id`` has not seen (at most the live list's length:
        older ones are in the history pages); the newest items if the id is not of this run."""
        limit = self.settings.live_items
        if last_event_id and "-" in last_event_id:
            epoch, _, seq = last_event_id.rpartition("-")
            if epoch == self.epoch and seq.isascii() and seq.isdigit() and len(seq) < 20:  # not "²"
                return self.history.after(int(seq), limit)
        return self.history.after(0, limit)


_ANSWERS = ("answer", "close", "reply", "agree")


def _answer_text(entry: dict[str, Any]) -> str:
    if entry.get("what") == "agree":
        return f"temporary agreement sent by {entry['officer']} at {entry['at'][11:19]}"
    if entry.get("what") == "close":
        return f"closed: {entry['outcome']} by {entry['officer']} at {entry['at'][11:19]}"
    reason = f" ({entry['reason']})" if entry.get("reason") else ""
    return f"{entry['outcome']}{reason} by {entry['officer']} at {entry['at'][11:19]}"
