"""The connector SDK's request publisher: the region's own topic, keyed by request id, nobody else's."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from connectors.sdk.requests import RequestPublisher
from connectors.sdk.validate import Rejection
from schemas.topics import Catalogue
from tests.support.requests import answer, request


class FakeProducer:
    """Records what is produced and acknowledges it at flush."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []
        self._callbacks: list[Any] = []

    def produce(
        self, topic: str, value: bytes, key: bytes, headers: Any = None, on_delivery: Any = None
    ) -> None:
        self.sent.append((topic, key, value))
        self._callbacks.append(on_delivery)

    def flush(self, timeout: float) -> int:
        for cb in self._callbacks:
            cb(None, None)
        self._callbacks = []
        return 0


def test_requests_and_answers_go_to_the_regions_own_topic_keyed_by_request_id() -> None:
    cat, producer = Catalogue("t"), FakeProducer()
    req = request("510521", "500153")
    RequestPublisher(producer, cat, "510521").publish(req)  # type: ignore[arg-type]
    RequestPublisher(producer, cat, "500153").publish(answer(req, "500153", "declined"))  # type: ignore[arg-type]
    assert [(t, k) for t, k, _ in producer.sent] == [
        ("t.in.510521.requests", req.request_id.encode()),
        ("t.in.500153.requests", req.request_id.encode()),
    ]
    assert orjson.loads(producer.sent[1][2])["reason"] == "no checkpoint on that road"


def test_a_record_of_another_region_is_refused_before_kafka() -> None:
    producer = FakeProducer()
    with pytest.raises(Rejection) as refused:
        RequestPublisher(producer, Catalogue("t"), "500153").publish(request("510521", "500153"))  # type: ignore[arg-type]
    assert refused.value.reason.value == "region_mismatch" and producer.sent == []
