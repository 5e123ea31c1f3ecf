"""The deadline around blocking client calls: results and errors pass through, an overrun is abandoned."""

from __future__ import annotations

import threading
import time

import pytest
from confluent_kafka import KafkaError, KafkaException

from streams.runtime.bounded import STOP_GRACE_S, call_within


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


def test_a_stop_abandons_a_hung_call_within_its_grace() -> None:
    forever, stop = threading.Event(), threading.Event()
    threading.Timer(0.2, stop.set).start()
    t0 = time.monotonic()
    with pytest.raises(KafkaException):
        call_within("hang", forever.wait, 30.0, stop)
    forever.set()
    assert 0.2 + STOP_GRACE_S - 0.1 <= time.monotonic() - t0 < 0.2 + STOP_GRACE_S + 1.0


def test_a_call_in_flight_when_the_stop_comes_still_returns_within_the_grace() -> None:
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()

    def send() -> str:  # a send of offsets that takes a moment, as on a busy broker
        time.sleep(0.7)
        return "sent"

    assert call_within("send", send, 30.0, stop) == "sent"
    assert stop.is_set()
