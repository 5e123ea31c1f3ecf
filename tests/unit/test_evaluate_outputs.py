"""What the evaluator publishes: only changed scorecards, the web view's index, and the gauges."""

from __future__ import annotations

import math

import orjson
from prometheus_client import CollectorRegistry

from schemas.scorecard import Period
from streams.evaluate.facts import Answer, Disclosure
from streams.evaluate.ledger import Ledger
from streams.evaluate.metrics import EvaluateMetrics
from streams.evaluate.publish import Publisher
from streams.evaluate.views import Views

T0 = 1_764_460_800.0  # 2025-11-30 00:00 UTC, a Sunday: any hour start will do


def _delivery(did: str, at: float) -> Disclosure:
    return Disclosure(did, "alert", "500000", "510000", "alert-1", at, None)


def test_a_second_pass_publishes_only_what_changed() -> None:
    ledger, publisher = Ledger(T0), Publisher()
    publisher.mark(ledger.add_disclosure(_delivery("d1", T0 + 60)))
    first = dict(publisher.changed(ledger))
    assert {k.split("/")[1] for k in first} == {"hour", "day", "week"}
    assert len(first) == 6  # recipient and owner, three periods each
    assert publisher.changed(ledger) == []  # nothing new: nothing written
    publisher.mark(ledger.add_answer(Answer("a1", "d1", "500000", "received", T0 + 120)))
    second = {k: orjson.loads(v) for k, v in publisher.changed(ledger)}
    assert len(second) == 6  # the recipient's acknowledgement, and the owner's entry figures
    owner_day = next(v for k, v in second.items() if k.startswith("510000/day/"))
    assert owner_day["entries"][0]["acknowledged"] == 1
    assert publisher.changed(ledger, full=True) == []
    # a later event of another region in the same minute changes nothing of theirs
    publisher.mark(ledger.add_disclosure(Disclosure("d2", "alert", "500153", "500153", "x", T0 + 150, None)))
    assert all(k.startswith("500153/") for k, _ in publisher.changed(ledger))


def test_the_web_index_and_the_gauges_show_the_current_scorecards() -> None:
    ledger, publisher = Ledger(T0), Publisher()
    publisher.mark(ledger.add_disclosure(_delivery("d1", T0 + 60)))
    publisher.mark(ledger.add_answer(Answer("a1", "d1", "500000", "received", T0 + 180)))
    publisher.changed(ledger)
    registry = CollectorRegistry()
    views, metrics = Views(publisher, registry), EvaluateMetrics(registry)
    index = orjson.loads(views.index())
    assert index["500000"]["hour"]["acknowledge"]["p50_s"] == 120.0
    assert views.one("500000", "week", None) is not None and views.one("500000", "month", None) is None
    for card in views.current_cards():
        metrics.show(card)
    labels = {"region": "500000", "period": "day", "quantile": "0.5"}
    assert registry.get_sample_value("rax_evaluate_time_to_acknowledge_seconds", labels) == 120.0
    owner = {"region": "510000", "period": Period.DAY.value, "quantile": "0.5"}
    assert math.isnan(registry.get_sample_value("rax_evaluate_time_to_acknowledge_seconds", owner) or 0.0)
