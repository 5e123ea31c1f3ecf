"""State stores: in-memory maps per input partition, changelogged in the same transaction as the batch.

A processor declares its stores (``StoreSpec``); the runtime keeps one ``Store`` per (store, input
partition) — the *scope* — and restores it from the store's changelog topic when the partition is
assigned, before any of its records is handed to the processor. Changes made while a batch is processed
are produced to the changelog in the same transaction as the batch's outputs and input offsets, so
state, outputs and offsets move together or not at all; after an aborted transaction every scope is
restored again. A changelog record's key is ``<topic>\\x1f<partition>\\x1f<key>``, and every scope lives in
one changelog partition (a stable hash of the scope), so restoring a scope reads one partition.

With the processors' at-rest key (``schemas.crypto.at_rest``) the store's own key in a changelog record
is its token and the value is sealed with the key inside; the scope stays readable, so a restore still
reads one partition and picks its scopes' records. A changelog written in clear before the key was
given still restores.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from schemas.crypto.at_rest import AtRestCipher, is_sealed_at_rest
from schemas.crypto.errors import OpenError

__all__ = ["Scope", "Store", "StoreSpec", "Stores", "changelog_partition", "json_codec", "raw_codec"]

Scope = tuple[str, int]
_SEP = "\x1f"


def json_codec() -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    """Values are JSON-able objects (dicts, lists, numbers, strings)."""
    return orjson.dumps, orjson.loads


def raw_codec() -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    """Values are kept as the bytes they are written as (cheapest in memory)."""
    return (lambda v: v), (lambda v: v)


@dataclass(frozen=True)
class StoreSpec:
    """One store of a processor: its name, which input topics it is kept for, and how values are encoded."""

    name: str
    applies_to: Callable[[str], bool] = lambda topic: True
    codec: tuple[Callable[[Any], bytes], Callable[[bytes], Any]] = field(default_factory=json_codec)
    #: topic configurations of the changelog that differ from ``restore.CHANGELOG_CONFIGS`` for this store
    changelog_configs: Mapping[str, str] = field(default_factory=dict)


def changelog_partition(scope: Scope, partitions: int) -> int:
    """The changelog partition that holds every change of ``scope``."""
    return zlib.crc32(f"{scope[0]}/{scope[1]}".encode()) % partitions


class Store(dict[str, Any]):
    """The state of one scope: a dict whose assignments and deletions are logged until the next commit.

    Assign a new value (``store[k] = v``) to change it: a value mutated in place is not logged.
    """

    __slots__ = ("dirty",)

    def __init__(self) -> None:
        super().__init__()
        self.dirty: set[str] = set()

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.dirty.add(key)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.dirty.add(key)

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self.dirty.add(key)
        return super().pop(key, *default)

    def delete(self, key: str) -> None:
        """Delete ``key`` whether or not its value is held in memory (a tombstone is written either way)."""
        dict.pop(self, key, None)
        self.dirty.add(key)

    def forget_committed(self) -> None:
        """Drop the values already committed from memory (their changelog keeps them): for stores a
        processor only writes while it runs and reads back only when a partition is restored."""
        for key in [k for k in self if k not in self.dirty]:
            dict.pop(self, key, None)

    def load(self, key: str, value: Any) -> None:
        """Set a restored value without logging it."""
        dict.__setitem__(self, key, value)

    def unload(self, key: str) -> None:
        dict.pop(self, key, None)


class Stores:
    """Every scope of every store of one processor; the loop restores, clears and drains them."""

    def __init__(
        self,
        specs: list[StoreSpec],
        changelog_topic: Callable[[str], str],
        partitions: int,
        rest: AtRestCipher | None = None,
    ) -> None:
        self.specs = {s.name: s for s in specs}
        self.topic_of = {s.name: changelog_topic(s.name) for s in specs}
        self.partitions = partitions
        self.rest = rest
        self._scopes: dict[tuple[str, Scope], Store] = {}
        # while restoring sealed changelogs: (store, scope) -> token -> the store key it stands for, so
        # that a tombstone (a token and no value) finds the key a sealed record before it restored
        self._restored_tokens: dict[tuple[str, Scope], dict[str, str]] = {}

    def get(self, name: str, scope: Scope) -> Store:
        """The store ``name`` of ``scope`` (empty if nothing was ever written)."""
        store = self._scopes.get((name, scope))
        if store is None:
            if name not in self.specs:
                raise KeyError(f"no store {name!r} declared")
            store = self._scopes[(name, scope)] = Store()
        return store

    def specs_for(self, topic: str) -> list[StoreSpec]:
        return [s for s in self.specs.values() if s.applies_to(topic)]

    def drop(self, scope: Scope) -> None:
        for name in self.specs:
            self._scopes.pop((name, scope), None)

    def scopes(self) -> set[Scope]:
        return {scope for _, scope in self._scopes}

    def has_changes(self) -> bool:
        return any(store.dirty for store in self._scopes.values())

    def dirty_scopes(self) -> set[Scope]:
        """The scopes with changes not yet sent (a processor may write any assigned scope's store)."""
        return {scope for (_, scope), store in self._scopes.items() if store.dirty}

    def changes(self) -> Iterator[tuple[str, int, bytes, bytes | None]]:
        """(changelog topic, partition, key, value or None) of every change since the last ``clean``."""
        for (name, scope), store in self._scopes.items():
            if not store.dirty:
                continue
            encode = self.specs[name].codec[0]
            topic, part = self.topic_of[name], changelog_partition(scope, self.partitions)
            prefix = f"{scope[0]}{_SEP}{scope[1]}{_SEP}"
            rest = self.rest
            if rest is None:
                for key in store.dirty:
                    value = store.get(key)
                    yield topic, part, (prefix + key).encode(), (None if key not in store else encode(value))
                continue
            head = prefix.encode()
            for key in store.dirty:
                clear = key.encode()
                wire = head + rest.token(clear)
                if key not in store:
                    yield topic, part, wire, None
                else:
                    yield topic, part, wire, rest.seal(topic, wire, clear, encode(store[key]))

    def clean(self) -> None:
        """Forget the logged changes (after they were committed, or restored)."""
        for store in self._scopes.values():
            store.dirty.clear()
        self._restored_tokens.clear()

    def apply_changelog(self, name: str, wanted: set[Scope], key: bytes, value: bytes | None) -> None:
        """Apply one restored changelog record if it belongs to one of the ``wanted`` scopes."""
        topic, _, rest = key.decode("utf-8", "replace").partition(_SEP)
        part, _, k = rest.partition(_SEP)
        if not part.isdigit() or (topic, int(part)) not in wanted:
            return
        scope = (topic, int(part))
        store = self.get(name, scope)
        if value is None:
            tokens = self._restored_tokens.get((name, scope))
            store.unload(tokens.pop(k, k) if tokens else k)
        elif is_sealed_at_rest(value):
            store.load(*self._opened(name, scope, key, value, k))
        else:
            store.load(k, self.specs[name].codec[1](value))

    def _opened(self, name: str, scope: Scope, wire: bytes, value: bytes, token: str) -> tuple[str, Any]:
        """The store key and decoded value of a sealed changelog record; raises if it does not open
        (a restore must not go on with a hole in the state)."""
        if self.rest is None:
            raise RuntimeError(
                f"the changelog {self.topic_of[name]} is sealed at rest: give the processor its at-rest "
                "key file (--rest-key), or it cannot restore its state"
            )
        try:
            clear_key, clear = self.rest.open(self.topic_of[name], wire, value)
        except OpenError as exc:
            raise RuntimeError(
                f"a record of the changelog {self.topic_of[name]} does not open: {exc}"
            ) from None
        key = (clear_key or b"").decode("utf-8", "replace")
        self._restored_tokens.setdefault((name, scope), {})[token] = key
        return key, self.specs[name].codec[1](clear)
