"""A zone's escalation rules in words (`rax zone explain`): what opens a special operation, and what not."""

from __future__ import annotations

from schemas.escalation import EscalationRules
from schemas.vocab import Priority
from schemas.zone import Zone

__all__ = ["explain_escalation"]


def _priorities(chosen: tuple[Priority, ...]) -> str:
    if set(chosen) == set(Priority):
        return "any priority"
    return "priority " + " or ".join(p.value for p in chosen)


def _span(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def explain_escalation(zone: Zone) -> list[str]:
    """One paragraph (a few lines) per declared rule, then what the zone file leaves unchecked."""
    rules = zone.escalation
    if rules is None:
        return ["no escalation rules: routine matches never open a special operation (专项)"]
    lines: list[str] = []
    sited = {s.checkpoint_id for s in rules.checkpoints}
    if (r := rules.multi_region) is not None:
        by = f" or at {r.min_checkpoints} checkpoints" if r.min_checkpoints else ""
        # with min_checkpoints, N-1 regions do open one when they span that many checkpoints
        fewer = f" at fewer than {r.min_checkpoints} checkpoints" if r.min_checkpoints else ""
        lines.append(
            f"(a) multi_region: an entry of {_priorities(r.priorities)} matched in {r.min_regions} regions"
            f"{by} within {_span(r.window_s)} of pass time opens an operation led by the entry's owner, "
            f"for the owner and every region that read it; {r.min_regions - 1} regions{fewer} do not"
        )
    if (b := rules.border) is not None:
        lines.append(
            f"(b) border: an entry of {_priorities(b.priorities)} matched at one of {len(b.checkpoints)} "
            f"border checkpoints ({', '.join(b.checkpoints[:5])}{' …' if len(b.checkpoints) > 5 else ''}) "
            f"opens an operation for the owner, the read's region and its neighbours; the same entry "
            f"opens no other for {_span(b.cooldown_s)}"
        )
    if (c := rules.cloned_plate) is not None:
        corroborated = (
            "two single reads suffice (one confident misread opens one)"
            if c.corroborating_checkpoints == 1
            else f"each of the two vehicles must be read at {c.corroborating_checkpoints} checkpoints"
        )
        lines.append(
            f"(c) cloned_plate: two reads of one plate and colour at sited checkpoints at least "
            f"{c.min_distance_km:g} km apart by road (straight line × {c.road_factor:g}, or the sites' own "
            f"factors), less than {_span(c.window_s)} apart, faster than {c.max_speed_kmh:g} km/h; "
            f"{corroborated}; reads below confidence {c.min_confidence:g} or breaking an issuing rule are "
            f"not compared; opens a {c.priority.value} operation led by the region of the later read"
        )
    if (v := rules.convoy) is not None:
        lines.append(
            f"(d) convoy: two watchlisted vehicles (entries of {_priorities(v.priorities)}) passing "
            f"{v.min_checkpoints} checkpoints together, at most {_span(v.gap_s)} apart at each, within "
            f"{_span(v.window_s)}, in one order (the same vehicle ahead at each, the same checkpoint "
            f"sequence); opens an operation led by the more urgent entry's owner, for both "
            f"owners and the regions that read them; {v.min_checkpoints - 1} checkpoints do not, nor "
            f"passes where the two change places"
        )
    lines.append(f"checkpoint sites: {len(sited)}")
    listed = {c for r in zone.regions for c in r.checkpoints}
    lines += _warnings(rules, sited, listed)
    return lines


def _warnings(rules: EscalationRules, sited: set[str], listed: set[str]) -> list[str]:
    """What in the rules cannot work as written; ``listed``: the checkpoints the regions list (if any)."""
    out = []
    if rules.cloned_plate is not None and len(sited) < 2:
        out.append("warning: cloned_plate compares only sited checkpoints, and fewer than two are sited")
    named = [*(rules.border.checkpoints if rules.border is not None else ()), *sorted(sited)]
    unknown = sorted({c for c in named if c not in listed}) if listed else []
    if unknown:  # a typo never fires, and nothing else says so
        out.append(f"warning: escalation names checkpoints no region lists (a typo?): {', '.join(unknown)}")
    if rules.border is not None:
        unsited = [c for c in rules.border.checkpoints if c not in sited]
        if unsited and rules.cloned_plate is not None:
            out.append(
                f"note: border checkpoints without a site (not compared for clones): {', '.join(unsited)}"
            )
    return out
