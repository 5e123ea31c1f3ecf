"""The peer's dedup window over a key-value state, pure: the hot path's rule for one plate's hits.

The state is scoped to one plate (Quix Streams scopes a record's ``State`` to its message key, the
plate). Under ``ids`` it keeps the plate's event ids, under ``checkpoint|colour`` the pass times of
that pass key, both within the retention (window + half a window, as ``streams.hotpath.dedup``). A hit
is a duplicate if its event id was seen (then it is not recorded, as in the hot path), or a pass time of
the same key is within ``window_s`` of its own, earlier or later; such duplicates count as sightings
too. Pruned on each visit, relative to the newest pass time of the key (the hot path evicts by the
partition's watermark): within a window the answers are the hot path's.

Only matching hits reach it in the peer: a hit that matches nothing produces nothing, duplicate or not,
so only a matching hit's dedup decides an output (the "cheap lookup before the state").
"""

from __future__ import annotations

from typing import Any, Protocol


class KeyValueState(Protocol):
    """What of Quix's ``State`` this uses."""

    def get(self, key: Any, default: Any = None) -> Any: ...

    def set(self, key: Any, value: Any) -> None: ...


def is_new_pass(
    state: KeyValueState, checkpoint: str, colour: str | None, event_id: str, t: float, window_s: float
) -> bool:
    """Records the sighting in ``state``; True if it is the first of its pass (not a duplicate)."""
    ids: dict[str, float] = state.get("ids") or {}
    if event_id in ids:  # a re-sent event: a duplicate, and not a sighting of its own (as the hot path)
        return False
    key = f"{checkpoint}|{colour or ''}"
    times: list[float] = state.get(key) or []
    duplicate = any(-window_s <= t - x <= window_s for x in times)
    horizon = max(t, *times) - window_s * 1.5 if times else t - window_s * 1.5
    state.set(key, [x for x in times if x >= horizon] + [t])
    ids = {i: x for i, x in ids.items() if x >= horizon}
    ids[event_id] = t
    state.set("ids", ids)
    return not duplicate
