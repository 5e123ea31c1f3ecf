"""Which scorecards to compute again and which changed: the evaluator's output side, without Kafka.

Lifecycle: one ``Publisher`` per run beside its ledger. ``mark`` records the (region, period) windows an
event touched; ``changed`` computes the windows that may have moved (touched ones, the still-settling
ones, or all on a full pass) and returns those whose bytes differ from what was last published. The set
of keys is a function of the events only (a window gets a scorecard once an event of its region falls in
it), so a replay publishes the same keys with the same values.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.codec import encode
from schemas.scorecard import Period, Scorecard, scorecard_key
from streams.evaluate.ledger import Dirty, Ledger
from streams.evaluate.periods import HOUR, LENGTH, iso, windows_of
from streams.evaluate.scorecard import SETTLE_S, scorecard

__all__ = ["CardKey", "Publisher"]


@dataclass(frozen=True, slots=True, order=True)
class CardKey:
    """One scorecard: a region, a period length and the period's start (epoch seconds)."""

    region: str
    period: Period
    start: int

    @property
    def end(self) -> int:
        return self.start + LENGTH[self.period]

    def text(self) -> str:
        return scorecard_key(self.region, self.period, iso(self.start))


class Publisher:
    """The scorecards known, the ones to recompute, and the bytes last published per key."""

    def __init__(self) -> None:
        self.keys: set[CardKey] = set()
        self.dirty: set[CardKey] = set()
        self.published: dict[str, bytes] = {}
        self.cards: dict[CardKey, Scorecard] = {}
        self.latest: dict[tuple[str, Period], CardKey] = {}
        self._touched: set[tuple[str, int]] = set()

    def mark(self, dirty: Dirty) -> None:
        """Notes the hours an event touched (cheap: called per record; expanded to windows per pass)."""
        for region, t in dirty:
            self._touched.add((region, int(t // HOUR) * HOUR))

    def known(self) -> set[CardKey]:
        """Every scorecard key the events so far give."""
        self._expand()
        return self.keys

    def _expand(self) -> None:
        for region, hour in self._touched:
            for period, start in windows_of(hour):
                key = CardKey(region, period, start)
                self.keys.add(key)
                self.dirty.add(key)
        self._touched = set()

    def changed(self, ledger: Ledger, *, full: bool = False) -> list[tuple[str, bytes]]:
        """(key, value) of every scorecard whose value differs from the last one published, in key order."""
        self._expand()
        if full:
            targets = set(self.keys)
        else:
            settling = {k for k in self.keys if k.end + SETTLE_S > ledger.as_of}
            targets = self.dirty | settling
        self.dirty = set()
        out = []
        for key in sorted(targets):
            card = scorecard(ledger, key.region, key.period, key.start)
            value = encode(card)
            text = key.text()
            if self.published.get(text) != value:
                self.published[text] = value
                self.cards[key] = card
                slot = (key.region, key.period)
                if slot not in self.latest or self.latest[slot] < key:
                    self.latest[slot] = key
                out.append((text, value))
        return out

    def current(self, region: str, period: Period) -> Scorecard | None:
        """The latest published scorecard of ``region`` for ``period`` (the most recent start)."""
        key = self.latest.get((region, period))
        return None if key is None else self.cards[key]
