"""The centre sink POSTs every delivery at least once, keyed by delivery id, through the centre's outages."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson

from connectors.centre_sink import CentreSink, CentreSinkConfig
from schemas.codec import encode
from schemas.delivery import Delivery, MatchNotice, delivery_id
from schemas.dlq import parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.matching import match_id
from schemas.topics import Catalogue
from tests.support.hotpath import apply_example_zone, producer
from tests.support.kafka import consume_all
from tests.unit.models_factories import ENTRY_ID, hit, match, match_delivery


class Centre:
    """A command centre's endpoint: down for its first answers, refuses one delivery, records the rest."""

    def __init__(self, fail_first: int, refuse: str) -> None:
        self.fail_first, self.refuse = fail_first, refuse
        self.received: list[tuple[str, str]] = []  # (Idempotency-Key, delivery_id in the body)
        self.answers: list[int] = []
        self.lock = threading.Lock()


@contextmanager
def _serve(centre: Centre) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
            key = self.headers["Idempotency-Key"]
            with centre.lock:
                if len(centre.answers) < centre.fail_first:
                    status = 503
                elif key == centre.refuse:
                    status = 422
                else:
                    status = 202
                    centre.received.append((key, body["delivery_id"]))
                centre.answers.append(status)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/rax"
    finally:
        server.shutdown()
        server.server_close()


def _delivery(i: int) -> Delivery:
    """The example match delivery to 泸县, for the i-th hit."""
    h = hit(event_id=str(uuid.UUID(int=i + 1)))
    m = match(hit=h, match_id=match_id(h.event_id, ENTRY_ID))
    did = delivery_id(m.hit.event_id, m.entry_id, "510521")
    return match_delivery(recipient="510521", delivery_id=did, match=MatchNotice.from_match(m))


def test_sink_delivers_at_least_once_through_an_outage(kafka: KafkaSettings, catalogue: Catalogue) -> None:
    cat = catalogue
    apply_example_zone(kafka, cat)
    deliveries = [_delivery(i) for i in range(10)]
    p = producer(kafka)
    for d in deliveries:
        p.produce(cat.out("510521"), encode(d), d.delivery_id.encode())
    assert p.flush(10) == 0
    refused = deliveries[3].delivery_id
    centre = Centre(fail_first=3, refuse=refused)
    with _serve(centre) as url:
        config = CentreSinkConfig.model_validate({"url": url, "retry_initial_s": 0.05, "retry_max_s": 0.2})
        sink = CentreSink(kafka, cat, "510521", config)
        stop = threading.Event()
        thread = threading.Thread(target=sink.run, args=(stop,))
        thread.start()
        try:
            for _ in range(100):
                if len(centre.received) >= 9:
                    break
                threading.Event().wait(0.1)
        finally:
            stop.set()
            thread.join(30)
    assert centre.answers[:3] == [503, 503, 503]  # the outage was retried, not skipped
    got = {key for key, _ in centre.received}
    assert got == {d.delivery_id for d in deliveries} - {refused}
    assert all(key == body_id for key, body_id in centre.received)
    (dead,) = consume_all(kafka, cat.dlq("centre", "510521"))
    letter = parse_dlq_headers(dead.headers())
    assert dead.key() == refused.encode() and letter.reason.value == "rejected_by_recipient"
    assert "422" in letter.error
