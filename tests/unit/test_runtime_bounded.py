"""The deadline around blocking client calls: results and errors pass through, an overrun is abandoned."""

from __future__ import annotations

import threading
import time

import pytest
from confluent_kafka import KafkaError, KafkaException

from streams.runtime.bounded import call_within


def test_a_call_that_returns_gives_its_result() -> None:
    assert call_within("add", lambda: 1 + 1, 1.0) == 2


def test_a_call_that_raises_raises_in_the_caller() -> None:
    def boom() -> None:
        raise KafkaException(KafkaError(KafkaError._FENCED, "fenced"))

    with pytest.raises(KafkaException) as info:
        call_within("boom", boom, 1.0)
    assert info.value.args[0].code() == KafkaError._FENCED


def test_a_call_that_never_returns_is_abandoned_at_its_deadline() -> None:
    forever = threading.Event()
    t0 = time.monotonic()
    with pytest.raises(KafkaException) as info:
        call_within("hang", forever.wait, 0.6)
    took = time.monotonic() - t0
    forever.set()
    assert info.value.args[0].code() == KafkaError._TIMED_OUT
    assert "hang did not return" in info.value.args[0].str()
    assert 0.5 <= took < 2.0


def test_a_stop_abandons_the_call_at_once() -> None:
    forever, stop = threading.Event(), threading.Event()
    threading.Timer(0.2, stop.set).start()
    t0 = time.monotonic()
    with pytest.raises(KafkaException):
        call_within("hang", forever.wait, 30.0, stop)
    forever.set()
    assert time.monotonic() - t0 < 2.0
