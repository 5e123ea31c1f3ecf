"""The connector benchmark's bare producer loop times producing, not the producer's start-up."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bench import bench_connectors
from schemas.kafka_settings import KafkaSettings

START_UP_S = 0.3


class _SlowStartProducer:
    """Its first flush waits as a new idempotent producer waits for its PID; later ones are instant."""

    def __init__(self) -> None:
        self.produced = 0
        self.started = False

    def produce(self, *_args: Any, **_kwargs: Any) -> None:
        self.produced += 1

    def poll(self, _timeout: float = 0) -> int:
        return 0

    def flush(self, _timeout: float = -1) -> int:
        if not self.started:
            time.sleep(START_UP_S)
            self.started = True
        return 0


class _Factory:
    def __init__(self, *_args: Any) -> None:
        pass

    def producer(self, _extra: Any = None) -> _SlowStartProducer:
        return _SlowStartProducer()


def test_the_bare_loop_rate_leaves_out_the_producers_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_connectors, "ClientFactory", _Factory)
    records = [(b"k", b"v")] * 2000
    rate = bench_connectors.bare_loop(KafkaSettings(bootstrap_servers="x:1"), "t", records, callback=False)
    assert rate > len(records) / START_UP_S * 10
