"""A loop yielding to another processor: when it defers, when it resumes, and the longest it waits."""

from __future__ import annotations

from streams.runtime.deferral import Deferral, lag_of


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def deferral(lags: list[int], clock: Clock) -> Deferral:
    asked = iter(lags)
    return Deferral(lambda: next(asked), "rax-hotpath", 1000, 60.0, check_s=1.0, clock=clock)


def test_the_lag_counts_only_partitions_the_group_committed() -> None:
    ends = {("h", 0): 500, ("h", 1): 900, ("h", 2): 50}
    assert lag_of({("h", 0): 100, ("h", 1): 900}, ends) == 400  # h/2 never committed: not counted
    assert lag_of({("h", 0): -1001}, ends) == 0  # no offset (librdkafka's -1001)
    assert lag_of({("h", 0): 600}, ends) == 0  # ahead of a stale end: never negative


def test_it_defers_while_the_group_is_behind_and_resumes_once_it_caught_up() -> None:
    clock = Clock()
    d = deferral([500, 5000, 4000, 800, 900], clock)
    assert not d.due()  # 500 behind: within the bound
    clock.t = 1.0
    assert d.due()  # 5,000 behind
    clock.t = 1.5
    assert d.due()  # not asked again within a second: still deferring
    clock.t = 2.0
    assert d.due()  # 4,000
    clock.t = 3.0
    assert not d.due()  # 800: resumes
    clock.t = 4.0
    assert not d.due()


def test_one_deferral_lasts_at_most_its_longest_then_none_until_the_group_caught_up_once() -> None:
    clock = Clock()
    lag = {14.0: 100}  # behind all along, but caught up at 14 s
    d = Deferral(lambda: lag.get(clock.t, 5000), "rax-hotpath", 1000, 3.0, check_s=1.0, clock=clock)
    assert d.due()  # t=0
    clock.t = 2.5
    assert d.due()
    clock.t = 3.0  # 3 s deferred: resumes, though still behind (a stopped hot path must not stop it)
    assert not d.due()
    for t in (4.0, 5.0, 6.0, 7.0, 13.0):
        clock.t = t
        assert not d.due()  # still behind, but no new deferral
    clock.t = 14.0
    assert not d.due()  # caught up once
    clock.t = 15.0
    assert d.due()  # behind again: defers again


def test_a_lag_that_cannot_be_asked_means_no_deferral() -> None:
    clock = Clock()
    answers = iter([5000, None, None, 5000])
    d = Deferral(lambda: next(answers), "rax-hotpath", 1000, 60.0, check_s=1.0, clock=clock)
    assert d.due()
    clock.t = 1.0
    assert not d.due()  # unknown: resumes rather than wait on an answer that may never come
    clock.t = 2.0
    assert not d.due()
    clock.t = 3.0
    assert d.due()
