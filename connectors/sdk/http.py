"""A push endpoint for sources: a bounded, authenticated aiohttp server on its own thread that answers
only after Kafka acked.

Every request passes the same gate before a source's handler sees it: the route (404 / 405), the
region's bearer token (401; a header that is not ASCII text: 400), its body read within
``body_timeout_s`` (408) in bounded memory (``read_body``; a body over the limit is dead-lettered with
its first bytes, size and digest, then answered 413). Connections are capped and must send their
headers in time (``GuardedServer``). The handler turns the body into ``SourceRecord``s and awaits
``submit``: the records queue for the source's ``poll`` (the runtime's thread), and ``submit`` returns,
per record, None (acknowledged by Kafka) or the reason it was rejected (its dead letter acknowledged).
Under backpressure ``submit`` raises ``Busy``: answer ``busy_response()`` (503 with Retry-After).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from connectors.sdk.capped import Capped
from connectors.sdk.errors import FatalError
from connectors.sdk.http_config import HttpIntakeConfig
from connectors.sdk.http_guard import GuardedServer
from connectors.sdk.records import Original, SourceRecord
from connectors.sdk.source import SourceContext
from connectors.sdk.tokens import Auth, check_authorization
from schemas.dlq import DlqReason

__all__ = ["MAX_STREAMED", "Busy", "Handler", "HttpIngest", "busy_response", "json_response", "read_body"]

#: a route's handler: the request (headers read, token checked) and its whole body
Handler = Callable[[web.BaseRequest, bytes], Awaitable[web.StreamResponse]]

#: ``read_body`` stops reading a body here: beyond, its size and digest are not known (nor needed).
MAX_STREAMED = 64 << 20


def json_response(
    status: int, body: dict[str, Any], *, close: bool = False, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer; ``close``: the connection is closed after it (its body may be unread)."""
    response = web.json_response(body, status=status, headers=headers)
    if close:
        response.force_close()
    return response


def busy_response() -> web.Response:
    """503 with Retry-After: Kafka does not keep up, the client sends again later (same event ids)."""
    return json_response(503, {"error": "Kafka is not keeping up; retry later"}, headers={"Retry-After": "1"})


async def read_body(
    request: web.BaseRequest, limit: int, hard_limit: int = MAX_STREAMED
) -> tuple[bytes, Original | None]:
    """The body if it has at most ``limit`` bytes; else its first ``limit + 1`` bytes and its ``Original``.

    Only the first bytes are held; the rest is counted and hashed as it streams by, up to ``hard_limit``.
    """
    capped = Capped(limit)
    async for chunk in request.content.iter_chunked(1 << 16):
        capped.feed(chunk)
        if capped.size > hard_limit:
            return capped.result(complete=False)
    return capped.result()


def _too_large(original: Original, limit: int) -> str:
    size = f"{original.size}" if original.sha256 is not None else f"more than {original.size}"
    return f"request body of {size} bytes is over the limit of {limit} bytes"


class Busy(Exception):
    """Kafka does not keep up (or the connector is stopping): ask the client to retry later."""


class HttpIngest:
    """Serves ``routes`` on ``config.host:port`` from a background thread; ``drain`` feeds the source's poll.

    Lifecycle: ``start`` (binds, or raises FatalError), then ``drain`` from the runtime's thread until
    ``stop``.
    """

    def __init__(
        self,
        context: SourceContext,
        routes: Sequence[tuple[str, str, Handler]],
        config: HttpIntakeConfig,
        *,
        port: int,
        max_body: int,
        max_queue: int = 50_000,
        ack_timeout: float = 60.0,
    ) -> None:
        self.context, self.config = context, config
        self.routes = {(method.upper(), path): handler for method, path, handler in routes}
        self.host, self.port = config.host, port
        self.max_body, self.ack_timeout = max_body, ack_timeout
        self._token = config.bearer_token()
        self.queue: queue.Queue[SourceRecord] = queue.Queue(max_queue)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.ServerRunner | None = None
        self._thread: threading.Thread | None = None
        self.server: GuardedServer | None = None
        self.bound_port: int | None = None

    # ---- the runtime's side ----------------------------------------------------------------------
    def start(self) -> int:
        """Start serving; returns the bound port. Raises FatalError if the address is unusable."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = self._loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(self._start_site())
            except OSError as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=serve, name="rax-http-ingest", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            raise FatalError(f"cannot listen on {self.host}:{self.port}: {failure[0]}", "pick another --port")
        assert self.bound_port is not None
        return self.bound_port

    def drain(self, max_records: int, timeout: float) -> list[SourceRecord]:
        """Up to ``max_records`` queued records, waiting at most ``timeout`` for the first."""
        try:
            out = [self.queue.get(timeout=timeout)]
        except queue.Empty:
            return []
        while len(out) < max_records:
            try:
                out.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return out

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    # ---- the server's side -----------------------------------------------------------------------
    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in left:  # handlers of connections closed at shutdown
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)

    async def _start_site(self) -> None:
        cfg = self.config
        self.server = GuardedServer(
            self._dispatch,
            max_connections=cfg.max_connections,
            header_timeout=cfg.header_timeout_s,
            access_log=None,
        )
        self._runner = web.ServerRunner(self.server)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        addresses = self._runner.addresses
        self.bound_port = int(addresses[0][1]) if addresses else self.port

    async def _dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        assert self.server is not None
        self.server.request_started(request.protocol)
        try:
            return await self._gate(request)
        finally:
            self.server.request_finished(request.protocol)

    async def _gate(self, request: web.BaseRequest) -> web.StreamResponse:
        """The checks every request passes, in the order that costs an attacker most and us least."""
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            known = any(path == request.path for _, path in self.routes)
            status = 405 if known else 404
            return json_response(status, {"error": "no such endpoint" if status == 404 else "POST only"},
                                 close=True)  # fmt: skip
        auth = check_authorization(request.headers.get("Authorization"), self._token)
        if auth is Auth.MALFORMED:
            error = "malformed Authorization header: send 'Authorization: Bearer <token>' in ASCII"
            return json_response(400, {"error": error}, close=True)
        if auth is not Auth.OK:
            return json_response(401, {"error": "send this region's token: Authorization: Bearer <token>"},
                                 close=True, headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
        if request.headers.get("Expect", "").lower() == "100-continue":
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            async with asyncio.timeout(self.config.body_timeout_s):
                body, original = await read_body(request, self.max_body)
        except TimeoutError:
            error = f"the body did not arrive within {self.config.body_timeout_s:g} s"
            return json_response(408, {"error": error}, close=True)
        except (HttpProcessingError, ConnectionError, ValueError) as exc:
            return json_response(400, {"error": f"malformed body: {type(exc).__name__}"}, close=True)
        if original is not None:
            return await self._dead_letter_too_large(request, body, original)
        return await handler(request, body)

    async def _dead_letter_too_large(
        self, request: web.BaseRequest, head: bytes, original: Original
    ) -> web.StreamResponse:
        """An oversized body: its first bytes, size and digest to the DLQ, then 413 (or 503 if not in)."""
        error = _too_large(original, self.max_body)
        record = SourceRecord(None, head, f"http:{request.remote or '?'}", error, DlqReason.TOO_LARGE,
                              original=original)  # fmt: skip
        try:
            await self.submit([record])
        except (TimeoutError, Busy):
            response = busy_response()
            response.force_close()
            return response
        body = {"error": f"{error} (dead-lettered)", "reason": "too_large", "limit": self.max_body}
        return json_response(413, body, close=True)

    async def submit(self, records: list[SourceRecord]) -> list[str | None]:
        """Queue ``records`` and wait for their outcomes; raises ``Busy`` under backpressure."""
        if not records:
            return []
        ctx = self.context
        if (
            ctx.backpressure.is_set()
            or ctx.stopping.is_set()
            or self.queue.qsize() + len(records) > self.queue.maxsize
        ):
            raise Busy()
        loop = asyncio.get_running_loop()
        done: asyncio.Future[list[str | None]] = loop.create_future()
        results: list[str | None] = [None] * len(records)
        remaining = [len(records)]

        def finish() -> None:
            if not done.done():
                done.set_result(results)

        def outcome(i: int) -> Callable[[str | None], None]:
            def on_done(reason: str | None) -> None:  # the runtime's thread
                results[i] = reason
                remaining[0] -= 1
                if remaining[0] == 0:
                    # after shutdown the loop is gone: the client then sees its connection close
                    with contextlib.suppress(RuntimeError):
                        loop.call_soon_threadsafe(finish)

            return on_done

        for i, record in enumerate(records):
            record.on_done = outcome(i)
            self.queue.put_nowait(record)
        return await asyncio.wait_for(done, self.ack_timeout)
