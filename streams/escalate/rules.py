"""The escalation rules as pure functions over one plate's recent reads: no Kafka, no zone lookups.

``observe`` adds one read to a plate's ``VehicleState`` and returns what fires. Each firing is marked
in the state under a key (rule, entry or colour) until a pass time, and a marked key fires nothing more
until then: with the state committed together with the outputs, a rule fires once per scenario however
often the processor restarts. Windows are in pass time, not wall-clock time, so a replay decides alike.
Matches arrive in any order (``rax.matches`` is keyed by match id): a multi-region match up to
``late_s`` behind the plate's newest read is still placed in its window, and its marks kept as long.
A blind entry's match marks the plate blind (``VehicleState.blind_until``) for whatever it opens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from schemas.escalation import CheckpointSite, ClonedPlateRule, EscalationRules, MultiRegionRule
from schemas.operation import EscalationTrigger
from streams.escalate.geo import Sites, road_km
from streams.escalate.seen import Seen

__all__ = [
    "LATE_S",
    "MAX_COMPARED",
    "MAX_MATCHES",
    "VEHICLE_CODEC",
    "Firing",
    "VehicleState",
    "late_s",
    "observe",
    "settle",
    "stale",
]

#: the reads of one plate nearest in time a new read is compared with (a placeholder plate on many cars
#: must not make each read cost the square of the plate's traffic)
MAX_COMPARED = 32

#: how late (pass time, behind the plate's newest read) a match is still placed in its multi-region
#: window at least: a region's connector catching up after an outage of hours sends reads that old (the
#: clone rule's default window, for which every plate's reads are kept anyway)
LATE_S = 6 * 3600.0

#: most matches of one plate kept: a placeholder plate on a watchlist, matched on many cars, must not
#: grow its state (and the windows looked at per match) without limit; the oldest go first
MAX_MATCHES = 256


@dataclass(frozen=True, slots=True)
class Firing:
    """One rule fired: on which reads (in pass-time order), about which entry (empty for a clone)."""

    trigger: EscalationTrigger
    evidence: tuple[Seen, ...]
    detail: str


@dataclass
class VehicleState:
    """The recent reads (hits) and matches of one plate, the rule keys fired and until when, and until
    when (pass time) the plate is a blind entry's."""

    hits: list[Seen] = field(default_factory=list)
    matches: list[Seen] = field(default_factory=list)
    fired: dict[str, float] = field(default_factory=dict)
    agreements: dict[str, dict[str, Any]] = field(default_factory=dict)  # temporary.InForce by operation
    # kept apart from the matches: with no multi-region rule a match is dropped at the plate's next read,
    # and a clone on the plate must still be sealed
    blind_until: float = -1.0
    # whether the state was ever written to the store's changelog (restored from it, or assigned): a plate
    # only ever read plainly lives in memory and in the read journal (``streams.escalate.journal``)
    logged: bool = field(default=False, compare=False, repr=False)

    @property
    def newest(self) -> float:
        """The latest pass time kept (both lists are kept in pass-time order)."""
        return max(self.hits[-1].t if self.hits else 0.0, self.matches[-1].t if self.matches else 0.0)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "h": [list(s) for s in self.hits],  # Seen.row, without a call per read
            "m": [list(s) for s in self.matches],
            "f": self.fired,
        }
        if self.agreements:
            out["a"] = self.agreements
        if self.blind_until >= 0:
            out["b"] = self.blind_until
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> VehicleState:
        if not data:
            return cls()
        return cls(
            [Seen.from_row(r) for r in data["h"]],
            [Seen.from_row(r) for r in data["m"]],
            dict(data["f"]),
            dict(data.get("a", {})),
            float(data.get("b", -1.0)),  # a state written before blind marks: its kept matches tell
            logged=True,
        )

    def empty(self) -> bool:
        return not (self.hits or self.matches or self.fired or self.agreements or self.blind_until >= 0)

    def blind(self, firing: Firing) -> bool:
        """Whether what ``firing`` opens is a blind entry's: a read of it within the plate's blind mark,
        or a blind match kept (a state written before the mark)."""
        return self.blind_until >= firing.evidence[0].t or any(m.blind for m in self.matches)


def _encode_state(state: VehicleState) -> bytes:
    return orjson.dumps(state.to_json())


def _decode_state(raw: bytes) -> VehicleState:
    return VehicleState.from_json(orjson.loads(raw))


#: the ``vehicles`` store keeps states as objects, JSON only in its changelog: a read costs no decoding
#: and encoding of its plate's recent reads, and the sweep reads ``newest`` without decoding every plate
VEHICLE_CODEC = (_encode_state, _decode_state)


def horizon_s(rules: EscalationRules) -> float:
    """How long (pass time) a read may still take part in a rule."""
    spans = [0.0]
    if rules.multi_region is not None:
        spans.append(rules.multi_region.window_s)
    if rules.cloned_plate is not None:
        spans.append(rules.cloned_plate.window_s)
    if rules.convoy is not None:
        spans.append(rules.convoy.window_s)
    return max(spans)


def late_s(rules: EscalationRules) -> float:
    """How late (pass time, behind the plate's newest read) a match is still placed in its multi-region
    window, and a mark kept: ``LATE_S``, or the window when longer; 0 without the rule."""
    if rules.multi_region is None:
        return 0.0
    return max(LATE_S, rules.multi_region.window_s)


def stale(state: VehicleState, now: float, cutoff: float) -> bool:
    """Whether the plate of ``state`` may be forgotten: every read and mark left every window (pass time
    before ``cutoff``), its blind mark too, and no temporary agreement on it is in force at ``now``."""
    if state.newest >= cutoff or state.blind_until >= cutoff:
        return False
    if any(until >= cutoff for until in state.fired.values()):
        return False
    return not any(a["expires"] > now for a in state.agreements.values())


def observe(
    state: VehicleState, seen: Seen, rules: EscalationRules, sites: dict[str, CheckpointSite]
) -> list[Firing]:
    """Add ``seen`` to ``state`` (once per event id and kind), drop what is too old, return what fires."""
    if seen.blind:  # first: a blind match re-sent, or too late for the rules, still marks the plate
        state.blind_until = max(state.blind_until, seen.t + max(horizon_s(rules), late_s(rules)))
    kept = state.matches if seen.is_match else state.hits
    event_id, entry_id = seen.event_id, seen.entry_id
    for s in kept:
        if s.event_id == event_id and s.entry_id == entry_id:
            return []  # a re-sent hit, or the same match read twice
    late = seen.is_match and _too_late(state, seen, rules)
    if not late:
        kept.append(seen)
        if len(kept) > 1 and _order(kept[-2]) > _order(seen):
            kept.sort(key=_order)  # most reads come in pass-time order: no sort
    _evict(state, rules)
    firings: list[Firing] = []
    if seen.is_match:
        if rules.border is not None:
            firings += _border(state, seen, rules)
        if rules.multi_region is not None and not late:
            firings += _multi_region(state, seen, rules.multi_region)
    elif rules.cloned_plate is not None:
        firings += _cloned(state, seen, rules.cloned_plate, sites)
    return firings


def _match_span(rules: EscalationRules) -> float:
    """How far behind the plate's newest read a match is kept: its window and the lateness allowed."""
    return rules.multi_region.window_s + late_s(rules) if rules.multi_region is not None else 0.0


def _too_late(state: VehicleState, seen: Seen, rules: EscalationRules) -> bool:
    """Whether the match ``seen`` is behind what the plate keeps (more than ``_match_span`` behind its
    newest read, or older than the oldest of a full list): it may have been kept and dropped already,
    and its partners with it, so it is not placed in a window (nor fires a second time)."""
    if rules.multi_region is None:
        return False
    if seen.t < state.newest - _match_span(rules):
        return True
    m = state.matches
    return len(m) >= MAX_MATCHES and _order(seen) < _order(m[0])


def _order(s: Seen) -> tuple[float, str, str]:
    return s.t, s.event_id, s.entry_id  # two entries' matches of one read apart too


def _evict(state: VehicleState, rules: EscalationRules) -> None:
    """Drop the reads older than their rule's window (and, for matches, the lateness allowed) before the
    newest, and the marks run out that long; lists are rebuilt only when something is dropped (most
    reads drop nothing)."""
    newest = state.newest
    if rules.cloned_plate is None:
        state.hits = []
    elif state.hits and state.hits[0].t < newest - rules.cloned_plate.window_s:
        state.hits = [s for s in state.hits if s.t >= newest - rules.cloned_plate.window_s]
    span = _match_span(rules)
    if state.matches and state.matches[0].t < newest - span:
        state.matches = [s for s in state.matches if s.t >= newest - span]
    if len(state.matches) > MAX_MATCHES:
        del state.matches[: len(state.matches) - MAX_MATCHES]
    # a mark outlives its end by the lateness allowed: a late match inside a scenario fired already must
    # find it (without the multi-region rule matches are not placed late, and it lives to its end)
    floor = newest - late_s(rules)
    if state.fired and min(state.fired.values()) < floor:
        state.fired = {k: until for k, until in state.fired.items() if until >= floor}


def settle(state: VehicleState, rules: EscalationRules) -> None:
    """Order a state's reads and drop what left its windows, after reads were put back into it unordered
    (``streams.escalate.journal``)."""
    state.hits.sort(key=_order)
    _evict(state, rules)


def _mark(state: VehicleState, key: str, at: float, until: float) -> bool:
    """Mark ``key`` fired until ``until``; False if it was already marked at pass time ``at``."""
    if state.fired.get(key, -1.0) >= at:
        return False
    state.fired[key] = until
    return True


def _border(state: VehicleState, seen: Seen, rules: EscalationRules) -> list[Firing]:
    rule = rules.border
    assert rule is not None
    if seen.checkpoint not in rule.checkpoints or seen.priority not in rule.priorities:
        return []
    if not _mark(state, f"border|{seen.entry_id}", seen.t, seen.t + rule.cooldown_s):
        return []
    detail = f"{seen.priority} entry matched at border checkpoint {seen.checkpoint}"
    return [Firing(EscalationTrigger.BORDER, (seen,), detail)]


def _multi_region(state: VehicleState, seen: Seen, rule: MultiRegionRule) -> list[Firing]:
    if seen.priority not in rule.priorities:
        return []
    key = f"multi_region|{seen.entry_id}"
    if state.fired.get(key, -1.0) >= seen.t:
        return []
    same = [s for s in state.matches if s.entry_id == seen.entry_id]
    for start in same:  # every window of length window_s that holds `seen`
        if not start.t <= seen.t <= start.t + rule.window_s:
            continue
        window = [s for s in same if start.t <= s.t <= start.t + rule.window_s]
        regions = {s.region for s in window}
        checkpoints = {s.checkpoint for s in window}
        by_checkpoints = rule.min_checkpoints is not None and len(checkpoints) >= rule.min_checkpoints
        if len(regions) >= rule.min_regions or by_checkpoints:
            state.fired[key] = window[-1].t + rule.window_s
            detail = (
                f"matched in {len(regions)} regions at {len(checkpoints)} checkpoints "
                f"within {rule.window_s:g} s"
            )
            return [Firing(EscalationTrigger.MULTI_REGION, tuple(window), detail)]
    return []


def _cloned(
    state: VehicleState, seen: Seen, rule: ClonedPlateRule, sites: dict[str, CheckpointSite]
) -> list[Firing]:
    """Two vehicles on one plate: ``seen`` and a read one car cannot have made too, each corroborated.

    Corroboration comes in pairs: the two vehicles' tracks grow together by further pairs of reads too far
    apart, each read consistent with its own track, until each track spans ``corroborating_checkpoints``
    checkpoints. A one-off misread of another car is one read on one side, whatever its confidence.
    """
    key = f"cloned_plate|{seen.colour}"
    if seen.checkpoint not in sites or not seen.trusted or state.fired.get(key, -1.0) >= seen.t:
        return []
    near = [
        s
        for s in state.hits
        if s.trusted
        and s.colour == seen.colour
        and s.checkpoint in sites
        and abs(s.t - seen.t) < rule.window_s  # less than the window apart (docs, `rax zone explain`)
        and s.event_id != seen.event_id
    ]
    # each track holds `corroborating_checkpoints` distinct reads, ``seen`` in one and the other read in
    # the other: with fewer reads than that nothing can fire, and no distance need be computed (most
    # plates are read once or twice in a window)
    if len(near) + 1 < 2 * rule.corroborating_checkpoints:
        return []
    near = sorted(near, key=lambda s: abs(s.t - seen.t))[:MAX_COMPARED]
    apart = [_apart(s, seen, rule, sites) for s in near]
    # ``seen``'s own track grows only by reads one car could have made with it, at other checkpoints:
    # without enough of them nothing can fire, and no pair of the others need be looked at
    consistent = sum(
        1 for s, far in zip(near, apart, strict=True) if not far and s.checkpoint != seen.checkpoint
    )
    if consistent + 1 < rule.corroborating_checkpoints or not any(apart):
        return []
    pairs: list[tuple[Seen, Seen]] | None = None  # the corroborating pairs: only once a read is apart
    for other, far in zip(near, apart, strict=True):
        if not far:
            continue
        if pairs is None:
            pairs = [(a, b) for i, a in enumerate(near) for b in near[i + 1 :] if _apart(a, b, rule, sites)]
        mine, theirs = _tracks(seen, other, pairs, rule, sites)
        if min(len(mine), len(theirs)) < rule.corroborating_checkpoints:
            continue
        evidence = tuple(sorted({*mine, *theirs}, key=lambda s: (s.t, s.event_id)))
        state.fired[key] = evidence[-1].t + rule.window_s
        return [Firing(EscalationTrigger.CLONED_PLATE, evidence, _clone_detail(other, seen, rule, sites))]
    return []


def _tracks(
    seen: Seen,
    other: Seen,
    pairs: list[tuple[Seen, Seen]],
    rule: ClonedPlateRule,
    sites: dict[str, CheckpointSite],
) -> tuple[list[Seen], list[Seen]]:
    """The two tracks grown from ``seen`` and ``other`` by ``pairs``, one read per checkpoint each."""
    mine, theirs = [seen], [other]
    need = rule.corroborating_checkpoints

    def fits(s: Seen, track: list[Seen]) -> bool:
        return all(s.checkpoint != t.checkpoint and not _apart(s, t, rule, sites) for t in track)

    for a, b in pairs:
        if len(mine) >= need and len(theirs) >= need:
            break
        for x, y in ((a, b), (b, a)):
            if x not in theirs and y not in mine and fits(x, mine) and fits(y, theirs):
                mine.append(x)
                theirs.append(y)
                break
    return mine, theirs


def _apart(a: Seen, b: Seen, rule: ClonedPlateRule, sites: dict[str, CheckpointSite]) -> bool:
    """True when one car cannot have made both reads: too far by road for the time between them."""
    if a.checkpoint == b.checkpoint:
        return False
    if isinstance(sites, Sites):  # the processor's: each pair's distance computed once
        km = sites.road_km(a.checkpoint, b.checkpoint, rule.road_factor)
    else:
        km = road_km(sites[a.checkpoint], sites[b.checkpoint], rule.road_factor)
    hours = abs(a.t - b.t) / 3600
    return km >= rule.min_distance_km and (hours == 0 or km / hours > rule.max_speed_kmh)


def _clone_detail(a: Seen, b: Seen, rule: ClonedPlateRule, sites: dict[str, CheckpointSite]) -> str:
    first, second = sorted((a, b), key=lambda s: (s.t, s.event_id))
    km = road_km(sites[first.checkpoint], sites[second.checkpoint], rule.road_factor)
    seconds = second.t - first.t
    speed = "at once" if seconds == 0 else f"at {km / (seconds / 3600):.0f} km/h"
    return (
        f"{km:.0f} km by road between {first.checkpoint} and {second.checkpoint} in {seconds:.0f} s "
        f"({speed}; plausible: {rule.max_speed_kmh:g} km/h); each vehicle read at "
        f"≥ {rule.corroborating_checkpoints} checkpoints"
    )
