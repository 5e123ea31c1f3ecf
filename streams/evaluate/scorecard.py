"""One region's scorecard for one period: a pure function of the ledger (the set of input events)."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.scorecard import Period, Scorecard
from streams.evaluate.activity import checkpoint_cards, freshness
from streams.evaluate.ledger import Ledger
from streams.evaluate.periods import LENGTH
from streams.evaluate.requests import request_figures
from streams.evaluate.stats import ratio
from streams.evaluate.timing import deliveries, entry_cards, kind_outcomes, timings

__all__ = ["SETTLE_S", "card_as_of", "scorecard"]

#: a period's deadlines are judged until this long after its end (the longest deadline, 12 h, and then
#: some); after that its scorecard no longer changes with time, only with late events
SETTLE_S = 24 * 3600


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def card_as_of(ledger: Ledger, end: int) -> float:
    """The time a period's deadlines are judged at: the latest event seen, to the minute (so a scorecard
    is not rewritten for every event's clock tick), at most ``SETTLE_S`` after the period."""
    return min(ledger.as_of // 60 * 60, end + SETTLE_S)


def scorecard(ledger: Ledger, region: str, period: Period, start: int) -> Scorecard:
    """How ``region`` did over the ``period`` starting at ``start`` (epoch seconds)."""
    end = start + LENGTH[period]
    as_of = card_as_of(ledger, end)
    received = list(deliveries(ledger, ledger.received_by, region, start, end))
    owned = list(deliveries(ledger, ledger.owned_by, region, start, end))
    ack, answer = timings(received, as_of)
    return Scorecard(
        region=region,
        period=period,
        start=_utc(start),
        end=_utc(end),
        as_of=_utc(as_of),
        acknowledge=ack,
        answer=answer,
        outcome_reporting_rate=ratio(answer.answered, answer.owed),
        outcomes=kind_outcomes(received),
        checkpoints=checkpoint_cards(ledger, region, start, end),
        entries=entry_cards(owned),
        freshness=freshness(ledger, region, start, end),
        requests=request_figures(ledger, region, start, end, as_of),
    )
