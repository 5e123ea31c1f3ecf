"""A worker's copy of the compacted watchlist topic: the match index plus the compact facts of each entry.

Lifecycle: one per worker; ``apply`` every record of the watchlist topic (a place upserts, a
tombstone removes), from the beginning to the end offsets before the first hit and between batches
after that. A million entries must fit well under a worker's 1.5 GB, so an entry is kept as a tuple of
interned values (owners, operators, approvals and legal bases repeat across entries), not as a model.
"""

from __future__ import annotations

import time
from typing import NamedTuple, TypeVar, cast

from schemas.codec import DecodeError, decode
from schemas.dlq import DlqReason
from schemas.entry_lean import EntryView, lean_entry, view_of
from schemas.sealed import SealedEnvelope
from schemas.vocab import Action, Category, Priority
from schemas.watchlist import Approval, WatchlistEntry
from streams.hotpath.blind_index import BlindIndex
from streams.hotpath.matcher import MatchResult, WatchlistIndex

__all__ = ["EntryFacts", "WatchlistState"]

_T = TypeVar("_T")
_new = tuple.__new__  # a NamedTuple's own __new__ is a Python function


class EntryFacts(NamedTuple):
    """What a match needs of its entry."""

    entry_id: str
    owner: str
    category: Category
    action: Action
    priority: Priority
    plate: str
    operator: str
    legal_basis: str
    approval: Approval
    description: str | None
    scope: tuple[str, ...]
    blind: bool = False  # a blind entry: ``plate`` is a marker, the details are sealed per partner
    details: tuple[SealedEnvelope, ...] = ()


def _check_key(key: bytes | None, entry_id: str) -> None:
    if key is not None and key.decode("utf-8", "replace") != entry_id:
        raise DecodeError(f"key {key!r} is not the entry id {entry_id}", reason=DlqReason.SCHEMA_VIOLATION)


class WatchlistState:
    """The index and facts of every live entry; fed from the watchlist topic."""

    def __init__(self) -> None:
        self.index = WatchlistIndex()
        self.blind = BlindIndex()
        self._facts: list[EntryFacts | None] = []
        self._slots: dict[str, int] = {}
        self._free: list[int] = []
        self._intern: dict[object, object] = {}
        self._approvals: dict[int, tuple[Approval, Approval]] = {}  # id(approval) -> it, its shared one
        self.last_caught_up = 0.0  # monotonic time the topic was last read to its end

    def __len__(self) -> int:
        return len(self._slots)

    def _i(self, value: _T) -> _T:
        """The one shared instance of an equal value (owners, operators, approvals repeat)."""
        return cast(_T, self._intern.setdefault(value, value))

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Applies one record of the watchlist topic; raises DecodeError for a record that is not an entry.

        A canonical clear entry is read by the lean decoder (``schemas.entry_lean``: no model built),
        anything else by the model; the entry stored, or the error raised, is the same either way.
        """
        if value is None:
            if key is not None:
                self.remove(key.decode("utf-8", "replace"))
            return
        view = lean_entry(value)
        if view is None:
            entry = decode(value, WatchlistEntry)
            _check_key(key, entry.entry_id)
            self.upsert(entry)
        else:
            _check_key(key, view.entry_id)
            self._put(view)

    def upsert(self, entry: WatchlistEntry) -> None:
        """Stores a decoded entry (a place), replacing the entry with its id."""
        blind = entry.blind
        if blind is None:
            self._put(view_of(entry))
            return
        slot = self._slot(entry.entry_id)
        i = self._i
        self._facts[slot] = EntryFacts(
            entry.entry_id,
            i(entry.owner),
            entry.category,
            entry.action,
            entry.priority,
            f"blind:{blind.exact[:12]}",
            i(entry.operator),
            i(entry.legal_basis),
            self._approval(entry.approval),
            i(entry.description),
            i(entry.scope),
            True,
            entry.sealed_details,
        )
        colour = entry.plate_colour.value if entry.plate_colour is not None else None
        self.index.remove(entry.entry_id)  # a clear entry re-placed blind
        self.blind.upsert(
            entry.entry_id, blind, colour, entry.expires_at.timestamp(), slot, entry.placed_at.timestamp()
        )

    def _put(self, view: EntryView) -> None:
        """Stores a clear entry from its view."""
        (entry_id, owner, category, action, priority, plate, operator, legal_basis, approval, description,
         scope, colour, tolerance, expires, placed) = view  # fmt: skip
        slot = self._slot(entry_id)
        i = self._intern.setdefault  # _i without a call per field: the load pays it a million times
        self._facts[slot] = _new(
            EntryFacts,
            (
                entry_id,
                i(owner, owner),
                category,
                action,
                priority,
                plate,
                i(operator, operator),
                i(legal_basis, legal_basis),
                self._approval(approval),
                i(description, description),
                i(scope, scope),
                False,
                (),
            ),
        )
        if len(self.blind):
            self.blind.remove(entry_id)  # a blind entry re-placed clear
        self.index.upsert(entry_id, plate, colour, tolerance, expires, slot, placed)

    def _slot(self, entry_id: str) -> int:
        slot = self._slots.get(entry_id)
        if slot is None:
            slot = self._free.pop() if self._free else len(self._facts)
            if slot == len(self._facts):
                self._facts.append(None)
            self._slots[entry_id] = slot
        return slot

    def _approval(self, approval: Approval) -> Approval:
        """The shared instance of an equal approval, found by identity first: hashing a model costs µs
        and the lean decoder hands the same instance for the same raw approval."""
        known = self._approvals.get(id(approval))
        if known is not None:
            return known[1]
        shared = self._i(approval)
        self._approvals[id(approval)] = (approval, shared)  # holding it keeps its id unique
        return shared

    def remove(self, entry_id: str) -> None:
        slot = self._slots.pop(entry_id, None)
        if slot is not None:
            self._facts[slot] = None
            self._free.append(slot)
            self.index.remove(entry_id)
            self.blind.remove(entry_id)

    def match(
        self, plate: str, colour: str | None, now: float, pass_time: float | None = None
    ) -> list[tuple[MatchResult, EntryFacts]]:
        """The entries ``plate`` matches, best first, with their facts: in force when the vehicle
        passed (``pass_time``) and still at ``now`` (see ``WatchlistIndex.match``)."""
        return self._with_facts(self.index.match(plate, colour, now, pass_time))

    def match_blind(
        self, plate: str, colour: str | None, now: float, pass_time: float | None = None
    ) -> list[tuple[MatchResult, EntryFacts]]:
        """The blind entries a read's plate matches by token (``BlindIndex.match``), with their facts."""
        return self._with_facts(self.blind.match(plate, colour, now, pass_time))

    def _with_facts(self, results: list[MatchResult]) -> list[tuple[MatchResult, EntryFacts]]:
        out = []
        for result in results:
            facts = self._facts[result.ref]
            if facts is not None and facts.entry_id == result.entry_id:
                out.append((result, facts))
        return out

    def mark_caught_up(self) -> None:
        self.last_caught_up = time.monotonic()
