"""A push endpoint for sources: an aiohttp server on its own thread that answers only after Kafka acked.

A request handler turns its body into ``SourceRecord``s and awaits ``submit``: the records queue for
the source's ``poll`` (the runtime's thread), and ``submit`` returns, per record, None (acknowledged by
Kafka) or the reason it was rejected (its dead letter acknowledged). Under backpressure ``submit``
raises ``Busy`` and the handler answers 503 with Retry-After. ``read_body`` reads a body that may be
over the limit in bounded memory, so an oversized one can still be dead-lettered (its first bytes, its
size and digest) before the 413.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import queue
import threading
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from connectors.sdk.capped import Capped
from connectors.sdk.errors import FatalError
from connectors.sdk.records import Original, SourceRecord
from connectors.sdk.source import SourceContext

__all__ = ["MAX_STREAMED", "Busy", "HttpIngest", "authorised", "read_body"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: ``read_body`` stops reading a body here: beyond, its size and digest are not known (nor needed).
MAX_STREAMED = 64 << 20


def authorised(header: str | None, token: str) -> bool:
    """True if an Authorization ``header`` is ``Bearer <token>`` (compared in constant time)."""
    if not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token.encode())


async def read_body(
    request: web.Request, limit: int, hard_limit: int = MAX_STREAMED
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


class Busy(Exception):
    """Kafka does not keep up (or the connector is stopping): ask the client to retry later."""


class HttpIngest:
    """Serves ``routes`` on ``host:port`` from a background thread; ``drain`` feeds the source's poll."""

    def __init__(
        self,
        context: SourceContext,
        routes: Sequence[tuple[str, str, Handler]],
        *,
        host: str,
        port: int,
        max_queue: int = 50_000,
        max_body: int = 4 << 20,
        ack_timeout: float = 60.0,
    ) -> None:
        self.context = context
        self.routes, self.host, self.port = routes, host, port
        self.max_body, self.ack_timeout = max_body, ack_timeout
        self.queue: queue.Queue[SourceRecord] = queue.Queue(max_queue)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
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
            loop.run_until_complete(self._runner.cleanup() if self._runner else asyncio.sleep(0))
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
    async def _start_site(self) -> None:
        app = web.Application(client_max_size=self.max_body)
        for method, path, handler in self.routes:
            app.router.add_route(method, path, handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        addresses = self._runner.addresses
        self.bound_port = int(addresses[0][1]) if addresses else self.port

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
