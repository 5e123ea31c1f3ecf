"""The set of events a scorecard is computed from: idempotent adds, indexes by region and hour.

Lifecycle: one ``Ledger`` per run of the evaluator, filled from the start of the input topics (the app
and ``rax evaluate rebuild`` alike), never persisted. Every ``add_*`` is idempotent — an event seen again
(same audit / ack / match / request / answer id; for reads, an offset at or below the highest seen in
its partition) changes nothing and returns no dirty mark — so a record faust repeats after a rebalance
cannot be counted twice, and the ledger after any order of the same events is the same.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from schemas.delivery import delivery_id
from streams.evaluate.facts import (
    Answer,
    Disclosure,
    MatchFact,
    Read,
    RequestFact,
    RequestReply,
    SightingKey,
)
from streams.evaluate.periods import HOUR
from streams.evaluate.stats import DELAY_BOUNDS, bucket

__all__ = ["Dirty", "Ledger"]

#: what an add touched: (region, event time) pairs whose scorecards must be computed again
Dirty = list[tuple[str, float]]


def _hour(t: float) -> int:
    return int(t // HOUR) * HOUR


class Ledger:
    """The evaluator's input events since ``since`` (epoch seconds), deduplicated."""

    def __init__(self, since: float = 0.0) -> None:
        self.since = since
        self.as_of = since
        self.disclosures: dict[str, Disclosure] = {}
        self.received_by: defaultdict[tuple[str, int], list[str]] = defaultdict(list)
        self.owned_by: defaultdict[tuple[str, int], list[str]] = defaultdict(list)
        self.seen_in: defaultdict[tuple[str, int], list[str]] = defaultdict(list)
        self.answers: dict[str, Answer] = {}
        self.answers_of: defaultdict[str, list[Answer]] = defaultdict(list)
        self.matches: dict[str, MatchFact] = {}
        self._matches_at: defaultdict[SightingKey, list[MatchFact]] = defaultdict(list)
        self._disclosed_at: defaultdict[SightingKey, list[str]] = defaultdict(list)
        self.reads: defaultdict[tuple[str, str], defaultdict[int, int]] = defaultdict(
            lambda: defaultdict(int)
        )
        self.checkpoints_of: defaultdict[str, set[str]] = defaultdict(set)
        self.delays: defaultdict[tuple[str, int], list[int]] = defaultdict(lambda: [0] * len(DELAY_BOUNDS))
        self._offsets: dict[tuple[str, int], int] = {}
        #: (request id, recipient) → the request the recipient owes: of the requests naming that id, the
        #: one of the region the control app delivered it for (another region reusing the id is refused
        #: there, but its record is on its own requests topic, which may be read first)
        self.requests: dict[tuple[str, str], RequestFact] = {}
        self._offered: defaultdict[tuple[str, str], dict[str, RequestFact]] = defaultdict(dict)
        self.requested_of: defaultdict[tuple[str, int], list[tuple[str, str]]] = defaultdict(list)
        #: (request id, recipient) → when the control app delivered the request to it (its audit record)
        self.delivered: dict[tuple[str, str], float] = {}
        self._delivered_for: dict[tuple[str, str], str] = {}  # … and for which requester
        self.replies: dict[str, RequestReply] = {}
        self.replies_of: defaultdict[tuple[str, str], list[RequestReply]] = defaultdict(list)
        self.events = 0
        #: derived per delivery id by ``timing.view`` and dropped whenever that delivery's inputs change
        self.views: dict[str, Any] = {}

    def _seen(self, t: float) -> None:
        self.events += 1
        self.as_of = max(self.as_of, t)

    def add_disclosure(self, d: Disclosure) -> Dirty:
        """A delivery; of two records of one delivery id the later decision wins: an aborted transaction's
        copy (which a read-uncommitted reader sees) is always followed by its retry's, never after it."""
        known = self.disclosures.get(d.delivery_id)
        if d.at < self.since or (known is not None and known.at >= d.at):
            return []
        if known is not None:
            self._forget(known)
        self.disclosures[d.delivery_id] = d
        self.received_by[(d.recipient, _hour(d.at))].append(d.delivery_id)
        self.owned_by[(d.owner, _hour(d.at))].append(d.delivery_id)
        if d.sighting is not None:
            self._disclosed_at[d.sighting].append(d.delivery_id)
            self.seen_in[(d.sighting[1], _hour(d.at))].append(d.delivery_id)
        self._seen(d.at)
        dirty = self._delivery_dirty(d.delivery_id)
        if d.kind == "request" and d.recipient != d.owner:  # a request delivered: its recipient was asked
            key = (d.subject_id, d.recipient)
            self.delivered[key] = d.at
            self._delivered_for[key] = d.owner
            chosen = self.requests.get(key)
            if chosen is not None and chosen.requester != d.owner:  # another region's use of the id
                self._unchoose(key, chosen)
                dirty.append((chosen.recipient, chosen.sent))
                real = self._offered[key].get(d.owner)
                if real is not None:
                    self._choose(key, real)
            q = self.requests.get(key)
            if q is not None:
                dirty.append((q.recipient, q.sent))
        return dirty

    def _forget(self, d: Disclosure) -> None:
        self.received_by[(d.recipient, _hour(d.at))].remove(d.delivery_id)
        self.owned_by[(d.owner, _hour(d.at))].remove(d.delivery_id)
        if d.sighting is not None:
            self._disclosed_at[d.sighting].remove(d.delivery_id)
            self.seen_in[(d.sighting[1], _hour(d.at))].remove(d.delivery_id)
        self.events -= 1

    def add_answer(self, a: Answer) -> Dirty:
        if a.received < self.since or a.ack_id in self.answers:
            return []
        self.answers[a.ack_id] = a
        self.answers_of[a.delivery_id].append(a)
        self._seen(a.received)
        return self._delivery_dirty(a.delivery_id)

    def add_match(self, m: MatchFact) -> Dirty:
        if m.sighting[2] < self.since or m.match_id in self.matches:
            return []
        self.matches[m.match_id] = m
        self._matches_at[m.sighting].append(m)
        self.events += 1
        return [r for did in self._disclosed_at.get(m.sighting, ()) for r in self._delivery_dirty(did)]

    def add_read(self, r: Read, topic: str, partition: int, offset: int) -> Dirty:
        """A read at ``offset`` of ``topic``/``partition``: partitions are read in order, so a repeat is
        an offset at or below the highest seen (reads are too many to remember by event id)."""
        if offset <= self._offsets.get((topic, partition), -1):
            return []
        self._offsets[(topic, partition)] = offset
        if r.pass_time < self.since:
            return []
        hour = _hour(r.pass_time)
        self.reads[(r.region, r.checkpoint_id)][hour] += 1
        self.checkpoints_of[r.region].add(r.checkpoint_id)
        self.delays[(r.region, hour)][bucket(r.exchanged - r.pass_time)] += 1
        self._seen(r.exchanged)
        return [(r.region, r.pass_time)]

    def add_request(self, q: RequestFact) -> Dirty:
        """A request as one recipient owes it; of one requester's records of an id the first counts, and
        of several requesters' the one the control app delivered (until it is known: the first)."""
        key = (q.request_id, q.recipient)
        offered = self._offered[key]
        if q.sent < self.since or q.requester in offered:
            return []
        offered[q.requester] = q
        self.as_of = max(self.as_of, q.sent)  # read, chosen or not: the clock is the same in any order
        chosen, owner = self.requests.get(key), self._delivered_for.get(key)
        if owner is not None and q.requester != owner:
            return []  # delivered for another region: this one reused its id, and was refused
        dirty: Dirty = []
        if chosen is not None:
            if owner is None:
                return []
            self._unchoose(key, chosen)  # the region the request was delivered for, read after another
            dirty.append((chosen.recipient, chosen.sent))
        self._choose(key, q)
        return [*dirty, (q.recipient, q.sent)] if key in self.delivered else dirty

    def _choose(self, key: tuple[str, str], q: RequestFact) -> None:
        self.requests[key] = q
        self.requested_of[(q.recipient, _hour(q.sent))].append(key)
        self.events += 1

    def _unchoose(self, key: tuple[str, str], q: RequestFact) -> None:
        del self.requests[key]
        self.requested_of[(q.recipient, _hour(q.sent))].remove(key)
        self.events -= 1

    def add_reply(self, r: RequestReply) -> Dirty:
        """An answer the control app delivered; of two records of one answer the later wins (as for
        disclosures: an aborted transaction's copy is always followed by its retry's)."""
        known = self.replies.get(r.answer_id)
        if r.received < self.since or (known is not None and known.received >= r.received):
            return []
        if known is not None:
            self.replies_of[(known.request_id, known.region)].remove(known)
            self.events -= 1
        self.replies[r.answer_id] = r
        self.replies_of[(r.request_id, r.region)].append(r)
        self._seen(r.received)
        key = (r.request_id, r.region)
        q = self.requests.get(key)
        return [(r.region, q.sent)] if q is not None and key in self.delivered else []

    def _delivery_dirty(self, did: str) -> Dirty:
        self.views.pop(did, None)
        d = self.disclosures.get(did)
        if d is None:
            return []
        dirty = [(d.recipient, d.at), (d.owner, d.at)]
        return dirty if d.sighting is None else [*dirty, (d.sighting[1], d.at)]

    def match_for(self, d: Disclosure) -> MatchFact | None:
        """The match a disclosure delivered (joined on entry, hit region and pass time, then its id)."""
        if d.sighting is None:
            return None
        for m in self._matches_at.get(d.sighting, ()):
            if delivery_id(m.hit_event_id, m.entry_id, d.recipient) == d.delivery_id:
                return m
        return None
