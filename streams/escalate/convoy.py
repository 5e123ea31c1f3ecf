"""Convoys (rule d) as pure functions: watchlisted passes kept per checkpoint, passes together per pair.

Two re-keyings make a convoy visible to one key at a time. A match is forwarded to the inbox keyed by
its checkpoint (``convoy|<checkpoint>``): ``pass_by`` keeps that checkpoint's recent watchlisted passes
(``window_s`` behind the newest, at most ``MAX_PASSES``: matches arrive in any order, keyed by match id)
and pairs the new one with every other plate's pass within ``gap_s`` of its own pass time. Each pair
is forwarded keyed by the two plates (``convoy|<a>|<b>``): ``together`` keeps the pair's passes together
and fires once when those travelling in one order (``in_order``) span ``min_checkpoints`` checkpoints
within ``window_s``. Windows are in pass time, as in ``rules``; marks and dedup by event ids make a
re-sent or replayed pass count once.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field
from typing import Any

from schemas.escalation import ConvoyRule
from schemas.operation import EscalationTrigger
from streams.escalate.rules import Firing
from streams.escalate.seen import Seen
from streams.runtime.stores import Store

__all__ = [
    "MAX_PASSES",
    "Pair",
    "Passes",
    "in_order",
    "pair_key",
    "pass_by",
    "pass_key",
    "sweep_convoys",
    "together",
]

#: most passes kept per checkpoint: a pass is kept ``window_s`` behind the checkpoint's newest, so that
#: one arriving late still meets its partner, and a busy checkpoint must not grow its list (read and
#: written with each pass) without limit; the oldest go first
MAX_PASSES = 256


def pass_key(checkpoint: str) -> str:
    """The inbox key of a watchlisted pass at ``checkpoint``."""
    return f"convoy|{checkpoint}"


def _vehicle(s: Seen) -> str:
    """A vehicle is its plate: one read without a colour (a camera that reports none) is the same car."""
    return s.plate


def _order(s: Seen) -> tuple[float, str, str]:
    return s.t, s.event_id, s.entry_id


def pair_key(a: Seen, b: Seen) -> str:
    """The inbox key of two vehicles seen together (their plates, in a canonical order): passes read
    with a colour and without one meet in one pair."""
    first, second = sorted((_vehicle(a), _vehicle(b)))
    return f"convoy|{first}|{second}"


@dataclass
class Passes:
    """The recent watchlisted passes at one checkpoint."""

    seen: list[Seen] = field(default_factory=list)

    def to_json(self) -> list[Any]:
        return [s.row() for s in self.seen]

    @classmethod
    def from_json(cls, data: list[Any] | None) -> Passes:
        # kept in pass-time order (a list written before late passes were kept may not be)
        return cls(sorted((Seen.from_row(r) for r in data or ()), key=_order))

    @property
    def newest(self) -> float:
        return max((s.t for s in self.seen), default=0.0)


def pass_by(passes: Passes, seen: Seen, rule: ConvoyRule) -> list[tuple[Seen, Seen]]:
    """Add ``seen`` to its checkpoint's ``passes``; return it paired (canonical order) with each other
    plate's pass within ``gap_s`` of it (one plate read with two colours is one car, never a pair). A
    re-sent pass (same event and entry) pairs nothing, nor does one too late to be kept (``_too_late``)."""
    if any(s.event_id == seen.event_id and s.entry_id == seen.entry_id for s in passes.seen):
        return []
    if _too_late(passes, seen, rule):
        return []
    pairs: dict[tuple[str, str], tuple[Seen, Seen]] = {}
    for other in passes.seen:
        if other.plate == seen.plate or abs(other.t - seen.t) > rule.gap_s:
            continue
        a, b = sorted((seen, other), key=_vehicle)
        pairs.setdefault((a.event_id, b.event_id), (a, b))  # one pair per two reads, whatever the entries
    insort(passes.seen, seen, key=_order)  # most passes come in pass-time order: appended
    floor = passes.newest - rule.window_s
    if passes.seen[0].t < floor:
        passes.seen = [s for s in passes.seen if s.t >= floor]
    if len(passes.seen) > MAX_PASSES:
        del passes.seen[: len(passes.seen) - MAX_PASSES]
    return list(pairs.values())


def _too_late(passes: Passes, seen: Seen, rule: ConvoyRule) -> bool:
    """Whether ``seen`` is behind what the checkpoint keeps: more than ``window_s`` behind its newest
    pass, or older than the oldest of a full list. Such a pass may have been kept and dropped already,
    and would pair again with the partners still kept: refused, every pair is sent once."""
    if seen.t < passes.newest - rule.window_s:
        return True
    return len(passes.seen) >= MAX_PASSES and _order(seen) < _order(passes.seen[0])


@dataclass
class Pair:
    """Two vehicles' passes together (canonical order), and until when the pair has fired."""

    together: list[tuple[Seen, Seen]] = field(default_factory=list)
    fired_until: float = -1.0

    def to_json(self) -> dict[str, Any]:
        return {"p": [[a.row(), b.row()] for a, b in self.together], "f": self.fired_until}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Pair:
        if not data:
            return cls()
        return cls([(Seen.from_row(a), Seen.from_row(b)) for a, b in data["p"]], float(data["f"]))

    @property
    def newest(self) -> float:
        return max((max(a.t, b.t) for a, b in self.together), default=self.fired_until)


def together(pair: Pair, a: Seen, b: Seen, rule: ConvoyRule) -> Firing | None:
    """Add a pass together to ``pair``; the firing when its passes in one order (``in_order``) now span
    ``min_checkpoints``. Two reads of one plate (whatever their colours) are one car: never a pair."""
    if a.plate == b.plate:  # forwarded before pass_by refused them: kept nowhere, fires nothing
        return None
    if any(x.event_id == a.event_id and y.event_id == b.event_id for x, y in pair.together):
        return None
    pair.together.append((a, b))
    pair.together.sort(key=lambda p: (min(p[0].t, p[1].t), p[0].event_id))
    newest = pair.newest
    pair.together = [p for p in pair.together if min(p[0].t, p[1].t) >= newest - rule.window_s]
    at = max(a.t, b.t)
    chain = in_order(pair.together)
    checkpoints = {x.checkpoint for x, _ in chain}
    if len(checkpoints) < rule.min_checkpoints or pair.fired_until >= at:
        return None
    reads = {(s.event_id, s.entry_id): s for p in chain for s in p}
    evidence = tuple(sorted(reads.values(), key=lambda s: (s.t, s.event_id)))
    pair.fired_until = evidence[-1].t + rule.window_s
    gaps = [abs(x.t - y.t) for x, y in chain]
    detail = (
        f"{a.plate} and {b.plate} passed {len(checkpoints)} checkpoints together in one order "
        f"(at most {max(gaps):.0f} s apart, rule: {rule.gap_s:g} s) within {rule.window_s:g} s"
    )
    return Firing(EscalationTrigger.CONVOY, evidence, detail)


def in_order(passes: list[tuple[Seen, Seen]]) -> list[tuple[Seen, Seen]]:
    """The passes together that count: the longest chain of them with one leader throughout (either
    vehicle; a pass at the same second fits both) along which both vehicles' pass times rise (so both
    pass its checkpoints in the same sequence). Of the two leaders, the chain spanning more checkpoints
    (then the longer, then the first vehicle's)."""
    chains = [
        _rising([p for p in passes if p[0].t <= p[1].t]),
        _rising([p for p in passes if p[1].t <= p[0].t]),
    ]
    return max(chains, key=lambda c: (len({x.checkpoint for x, _ in c}), len(c)))


def _rising(passes: list[tuple[Seen, Seen]]) -> list[tuple[Seen, Seen]]:
    """The longest chain of ``passes`` along which both vehicles' pass times strictly rise (O(n log n))."""
    # by the first vehicle's time, and at one such time by the second's falling: a chain rising in the
    # second's time then rises in the first's too (a longest strictly increasing subsequence)
    ordered = sorted(passes, key=lambda p: (p[0].t, -p[1].t, p[0].event_id, p[1].event_id))
    tails: list[int] = []  # the chain of each length ending lowest: the index of its last pass
    lows: list[float] = []  # and that pass's second time
    before: list[int] = []
    for j, (_, y) in enumerate(ordered):
        n = bisect_left(lows, y.t)
        before.append(tails[n - 1] if n else -1)
        if n == len(tails):
            tails.append(j)
            lows.append(y.t)
        else:
            tails[n], lows[n] = j, y.t
    chain: list[tuple[Seen, Seen]] = []
    j = tails[-1] if tails else -1
    while j >= 0:
        chain.append(ordered[j])
        j = before[j]
    return chain[::-1]


def sweep_convoys(passes: Store, pairs: Store, cutoff: float) -> None:
    """Delete the checkpoints' passes and the pairs whose newest read is older than ``cutoff`` (pass time)."""
    for key, value in list(passes.items()):
        if Passes.from_json(value).newest < cutoff:
            passes.delete(key)
    for key, value in list(pairs.items()):
        if Pair.from_json(value).newest < cutoff:
            pairs.delete(key)
