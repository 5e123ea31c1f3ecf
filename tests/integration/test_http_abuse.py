"""HTTP intake under abuse, on the real broker: slow, huge, malformed and unauthenticated requests.

checkpoint-http runs in the full runtime with a small connection cap and short timeouts; a hostile
client opens 300 slow connections, uploads a body far over the limit, sends bytes that are no header
text, and guesses tokens. The server holds at most its cap, drops the slow ones after the timeout, keeps
its memory bounded, answers 400/401/408/413 (never 500, never a traceback), dead-letters the oversized
body, and still serves the region's good request.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import orjson
import pytest

from connectors.cap import CapConfig, CapSource
from connectors.checkpoint_http import CheckpointHttpConfig, CheckpointHttpSource
from connectors.sdk import Runtime, RuntimeConfig, Source
from connectors.sdk.http import HttpIngest
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.integration.connectors.drivers import free_port, wait_listening
from tests.support.kafka import consume_all, create_topics

REGION = "510000"
TOKEN = "abuse-test-token-0123456789abcdef-XYZ"  # 37 bytes
CAP, HEADER_TIMEOUT, BODY_TIMEOUT = 32, 2.0, 2.0
LIMIT = 1 << 20


def _rss() -> int:
    """Resident memory of this process (server, runtime and test client), in bytes."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096


@pytest.fixture
def topics(kafka: KafkaSettings, catalogue: Catalogue) -> Catalogue:
    create_topics(kafka, catalogue.region_topics(REGION, hit_partitions=1) + catalogue.shared_topics(1))
    return catalogue


def _running(kafka: KafkaSettings, cat: Catalogue, source: type[Source], config: object) -> Iterator[Runtime]:  # type: ignore[type-arg]
    runner = Runtime(source, config, RuntimeConfig(region=REGION, namespace=cat.namespace), kafka)
    thread = threading.Thread(target=runner.run)
    thread.start()
    try:
        yield runner
    finally:
        runner.request_stop()
        thread.join(60)


def _is_bound(source: object, port: int) -> bool:
    return getattr(getattr(source, "ingest", None), "bound_port", None) == port


@pytest.fixture
def served(kafka: KafkaSettings, topics: Catalogue) -> Iterator[tuple[int, HttpIngest]]:
    port = free_port()
    config = CheckpointHttpConfig(
        port=port, token=TOKEN, max_connections=CAP, header_timeout_s=HEADER_TIMEOUT,  # type: ignore[arg-type]
        body_timeout_s=BODY_TIMEOUT, max_body_bytes=LIMIT, ack_timeout_s=10,
    )  # fmt: skip
    for runner in _running(kafka, topics, CheckpointHttpSource, config):
        # no probe connection (it would take one of the slots the tests count): wait for the bind
        _until(partial(_is_bound, runner.source, port), lambda: port)
        yield port, runner.source.ingest  # type: ignore[attr-defined]


def _request(port: int, head: bytes, body: bytes = b"", timeout: float = 20) -> tuple[int, bytes]:
    """Sends raw bytes, returns (status, whole answer); status 0 if the server closed without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head + body)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return (int(answer.split(b" ", 2)[1]) if answer else 0), answer


def _post(token: bytes | None, body: bytes, extra: bytes = b"") -> bytes:
    auth = b"Authorization: Bearer " + token + b"\r\n" if token is not None else b""
    return (
        b"POST /hits HTTP/1.1\r\nHost: rax\r\nConnection: close\r\n" + auth + extra
        + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )  # fmt: skip


GOOD = orjson.dumps({"kkbh": f"{REGION}-K0001", "hphm": "川A12345", "gcsj": "2024-05-01 08:00:00", "cdbh": 1})


def _until(condition: Callable[[], bool], what: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not reached in {timeout} s: {what()}"
        time.sleep(0.02)


def _held(socks: list[socket.socket]) -> int:
    """How many of ``socks`` the server still holds open (no answer, no close)."""
    held = 0
    for s in socks:
        s.setblocking(False)
        try:
            if s.recv(4096) == b"":
                continue
        except BlockingIOError:
            held += 1
        except OSError:
            pass
    return held


def test_300_slow_connections_hold_at_most_the_cap_and_are_dropped_after_the_timeout(
    served: tuple[int, HttpIngest],
) -> None:
    port, ingest = served
    assert ingest.server is not None
    slow: list[socket.socket] = []
    try:
        for _ in range(300):  # slowloris: a request line, one header, then nothing more
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST /hits HTTP/1.1\r\nHost: rax\r\n")
            slow.append(s)
        server = ingest.server
        # every connection accepted by now, held or refused (a fixed 0.5 s was too short under load)
        _until(
            lambda: server.open_connections + server.refused + server.expired >= 300,
            lambda: (server.open_connections, server.refused, server.expired),
        )
        assert ingest.server.open_connections <= CAP
        assert _held(slow) <= CAP  # the others were answered 503 and closed
        assert ingest.server.refused >= 300 - CAP
        time.sleep(HEADER_TIMEOUT + 1.5)
        assert _held(slow) == 0 and ingest.server.open_connections == 0  # the slow ones are dropped
        status, answer = _request(port, _post(TOKEN.encode(), GOOD), GOOD)
        assert status == 202, answer
    finally:
        for s in slow:
            s.close()


def test_a_connection_over_the_cap_gets_503_not_a_hang(served: tuple[int, HttpIngest]) -> None:
    port, ingest = served
    assert ingest.server is not None
    server = ingest.server

    def counts() -> tuple[int, int, int]:
        return server.open_connections, server.refused, server.expired

    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(CAP)]
    try:
        _until(lambda: server.open_connections == CAP, counts)
        status, answer = _request(port, _post(TOKEN.encode(), GOOD), GOOD, timeout=5)
        assert status == 503 and b"Retry-After: 1" in answer
    finally:
        for s in held:
            s.close()


def test_a_slow_body_is_answered_408_and_closed(served: tuple[int, HttpIngest]) -> None:
    port, _ = served
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(_post(TOKEN.encode(), b"x" * 1000) + b"x" * 10)  # 10 of 1000 bytes, then nothing
        answer = s.recv(65536)
        assert s.recv(65536) == b""  # closed
    assert answer.startswith(b"HTTP/1.1 408") and BODY_TIMEOUT <= time.monotonic() - t0 < BODY_TIMEOUT + 5


def test_a_huge_body_is_dead_lettered_and_answered_413_in_bounded_memory(
    served: tuple[int, HttpIngest], kafka: KafkaSettings, topics: Catalogue
) -> None:
    port, _ = served
    size = 48 << 20  # 48 times the limit
    chunk = bytes(range(256)) * 4096  # 1 MiB
    digest = hashlib.sha256()
    peak, stop = [_rss()], threading.Event()
    base = peak[0]

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
            s.sendall(_post(TOKEN.encode(), b"", b"Content-Type: application/json\r\n").replace(
                b"Content-Length: 0", b"Content-Length: " + str(size).encode()))  # fmt: skip
            for _ in range(size // len(chunk)):
                s.sendall(chunk)
                digest.update(chunk)
            answer = b""
            while part := s.recv(65536):
                answer += part
    finally:
        stop.set()
        sampler.join()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    body = orjson.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["reason"] == "too_large" and body["limit"] == LIMIT and "dead-lettered" in body["error"]
    assert peak[0] - base < 16 << 20, f"memory grew by {(peak[0] - base) >> 20} MiB for a 48 MiB body"
    (letter,) = consume_all(kafka, topics.dlq("connector", REGION), timeout=10)
    headers = dict(letter.headers() or ())
    assert headers["rax.dlq.reason"] == b"too_large"
    assert headers["rax.dlq.original.size"] == str(size).encode()
    assert headers["rax.dlq.original.sha256"] == digest.hexdigest().encode()


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        (b"Bearer wrong-token-wrong-token-wrong-token", 401),
        (b"Bearer " + TOKEN.encode()[:-1], 401),  # one byte short
        (b"Bearer ", 401),
        (b"Bearer \xe3\x80\x80", 400),  # one ideographic space (UTF-8)
        (b"Bearer \xff\xfe\xfd", 400),  # not UTF-8 at all
        (b"Basic " + TOKEN.encode(), 401),
    ],
    ids=["none", "wrong", "prefix", "empty", "unicode-space", "non-utf8", "basic"],
)
def test_unauthenticated_and_malformed_requests_are_refused_without_a_500(
    served: tuple[int, HttpIngest],
    caplog: pytest.LogCaptureFixture,
    authorization: bytes | None,
    status: int,
) -> None:
    port, _ = served
    with caplog.at_level(logging.WARNING):
        head = b"POST /hits HTTP/1.1\r\nHost: rax\r\nConnection: close\r\nContent-Length: %d\r\n" % len(GOOD)
        if authorization is not None:
            head += b"Authorization: " + authorization + b"\r\n"
        got, answer = _request(port, head + b"\r\n", GOOD)
    assert got == status, answer
    assert b"Traceback" not in answer and b'"error"' in answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(served: tuple[int, HttpIngest]) -> None:
    port, _ = served
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(_post(None, b"").replace(b"Content-Length: 0", b"Content-Length: 1073741824"))
        answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 401") and b"Connection: close" in answer


def test_garbage_instead_of_a_request_is_a_400(served: tuple[int, HttpIngest]) -> None:
    port, _ = served
    assert _request(port, b"\xff\xfe\x00 nonsense\r\n\r\n")[0] == 400
    status, answer = _request(port, _post(TOKEN.encode(), GOOD, b"X-Bad: \x01\x02\r\n"), GOOD)
    assert status in (202, 400) and b"Traceback" not in answer
    assert _request(port, _post(TOKEN.encode(), GOOD), GOOD)[0] == 202  # and it still serves


def test_cap_intake_has_the_same_gate(kafka: KafkaSettings, topics: Catalogue) -> None:
    port = free_port()
    config = CapConfig(port=port, token=TOKEN, header_timeout_s=1.0, max_connections=4)  # type: ignore[arg-type]
    for runner in _running(kafka, topics, CapSource, config):
        wait_listening(port)
        head = b"POST /cap HTTP/1.1\r\nHost: rax\r\nConnection: close\r\nContent-Length: 7\r\n"
        assert _request(port, head + b"\r\n", b"<alert>")[0] == 401
        assert _request(port, head + b"Authorization: Bearer \xff\r\n\r\n", b"<alert>")[0] == 400
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
        time.sleep(0.3)
        assert _held(slow) <= 4
        time.sleep(2.0)
        assert _held(slow) == 0
        for s in slow:
            s.close()
        status, _ = _request(
            port, head + b"Authorization: Bearer " + TOKEN.encode() + b"\r\n\r\n", b"<alert>"
        )
        assert status == 400  # authenticated, read, and refused as no CAP: the gate let it through
        assert runner.report.rejected >= 1
