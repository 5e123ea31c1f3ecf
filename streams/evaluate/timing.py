"""Answers a region owed and gave: time to acknowledge and to a final outcome, breaches, outcomes by kind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from schemas.acks import FINAL_OUTCOMES
from schemas.matching import MatchKind
from schemas.scorecard import EntryCard, KindOutcomes, Timing
from streams.evaluate.deadlines import ACK_KINDS, ack_deadline, outcome_deadline
from streams.evaluate.facts import Answer, Disclosure
from streams.evaluate.ledger import Ledger
from streams.evaluate.periods import hours
from streams.evaluate.stats import percentile, ratio

__all__ = ["DeliveryView", "Stage", "deliveries", "entry_cards", "kind_outcomes", "timings", "view"]

_FINAL = frozenset(o.value for o in FINAL_OUTCOMES)


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """One owed delivery with what it came to: when it was first answered, and its final outcome."""

    disclosure: Disclosure
    kind: str | None  # the match kind, when the match is known
    action: str | None
    priority: str | None
    first_answer: float | None
    first_final: float | None
    outcome: str | None  # the latest final outcome (a final outcome replaces an earlier one)


def view(ledger: Ledger, d: Disclosure) -> DeliveryView:
    """What ``d`` came to, from the recipient's own answers only, in the exchange's time order (kept in
    the ledger until an answer, its match or a newer copy of it arrives)."""
    cached: DeliveryView | None = ledger.views.get(d.delivery_id)
    if cached is not None and cached.disclosure is d:
        return cached
    m = ledger.match_for(d) if d.kind == "match" else None
    answers: list[Answer] = sorted(
        (a for a in ledger.answers_of.get(d.delivery_id, ()) if a.region == d.recipient),
        key=lambda a: (a.received, a.ack_id),
    )
    finals = [a for a in answers if a.outcome in _FINAL]
    made = DeliveryView(
        disclosure=d,
        kind=m.kind if m else None,
        action=m.action if m else None,
        priority=m.priority if m else None,
        first_answer=answers[0].received if answers else None,
        first_final=finals[0].received if finals else None,
        outcome=finals[-1].outcome if finals else None,
    )
    ledger.views[d.delivery_id] = made
    return made


def deliveries(
    ledger: Ledger, index: dict[tuple[str, int], list[str]], region: str, start: int, end: int
) -> Iterator[DeliveryView]:
    """The owed deliveries (``ACK_KINDS``, not the owner's own copy) of ``index`` for ``region``."""
    for hour in hours(start, end):
        for did in index.get((region, hour), ()):
            d = ledger.disclosures[did]
            if d.kind in ACK_KINDS and d.recipient != d.owner:
                yield view(ledger, d)


@dataclass
class Stage:
    """The figures of one answer stage being added up."""

    owed: int = 0
    times: list[float] = field(default_factory=list)
    breaches: int = 0

    def add(self, made: float, answered: float | None, deadline: float, as_of: float) -> None:
        self.owed += 1
        if answered is not None:
            self.times.append(max(0.0, answered - made))
        if (answered if answered is not None else as_of) > made + deadline:
            self.breaches += 1

    def timing(self) -> Timing:
        return Timing(
            owed=self.owed,
            answered=len(self.times),
            p50_s=percentile(self.times, 0.5),
            p90_s=percentile(self.times, 0.9),
            breaches=self.breaches,
        )


def timings(views: list[DeliveryView], as_of: float) -> tuple[Timing, Timing]:
    """Time to acknowledge and time to a final outcome (for deliveries whose action asks for one)."""
    ack, answer = Stage(), Stage()
    for v in views:
        made = v.disclosure.at
        ack.add(made, v.first_answer, ack_deadline(v.action, v.priority), as_of)
        due = outcome_deadline(v.action, v.priority)
        if due is not None:
            answer.add(made, v.first_final, due, as_of)
    return ack.timing(), answer.timing()


def kind_outcomes(views: list[DeliveryView]) -> tuple[KindOutcomes, ...]:
    """Final outcomes reported per match kind, with interception and false-hit rates."""
    counts: dict[str, list[int]] = {k.value: [0, 0, 0] for k in MatchKind}
    for v in views:
        if v.kind is None or v.outcome is None:
            continue
        c = counts[v.kind]
        c[0] += 1
        c[1] += v.outcome == "intercepted"
        c[2] += v.outcome == "false_positive"
    return tuple(
        KindOutcomes(
            kind=MatchKind(kind),
            reported=n,
            intercepted=i,
            false_positive=f,
            interception_rate=ratio(i, n),
            false_hit_rate=ratio(f, n),
        )
        for kind, (n, i, f) in counts.items()
    )


def entry_cards(views: list[DeliveryView]) -> tuple[EntryCard, ...]:
    """Per entry or alert the region owns: its deliveries to others and what they came to."""
    per: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for v in views:
        c = per[v.disclosure.subject_id]
        c[0] += 1
        c[1] += v.first_answer is not None
        c[2] += v.outcome is not None
        c[3] += v.outcome == "intercepted"
        c[4] += v.outcome == "false_positive"
    return tuple(
        EntryCard(entry_id=e, deliveries=n, acknowledged=a, reported=r, intercepted=i, false_positive=f)
        for e, (n, a, r, i, f) in sorted(per.items())
    )
