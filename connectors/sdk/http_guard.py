"""An aiohttp low-level server that bounds its connections: a cap, and a deadline for each request's headers.

aiohttp alone holds a connection that trickles its headers for ever (its keep-alive timeout only starts
after an answer) and accepts any number of them. ``GuardedServer`` counts connections as aiohttp
makes them: one over ``max_connections`` gets no request handler, only a 503, and is closed within a
second; each connection must deliver a request's complete headers within ``header_timeout``
of opening or of its previous answer, else it is closed. The request handler tells the guard when
headers are in (``request_started``) and when the answer is out (``request_finished``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

__all__ = ["GuardedServer"]

#: how long a refused connection, or the unread body of an answered request, is read and discarded
_LINGER_S = 1.0

_BUSY_BODY = b'{"error": "too many connections; retry later"}'
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(_BUSY_BODY)
) + _BUSY_BODY


class _Refused(asyncio.Protocol):
    """A connection over the cap: answered 503, half-closed, its input discarded, closed after a linger.

    Closing at once with unread input would reset the connection and could lose the 503 on its way.
    At most ``max_connections`` refused connections linger at a time (``lingering``); one more is
    reset at once, so a flood of connections cannot hold more than twice the cap.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, lingering: set[_Refused], most: int) -> None:
        self._loop, self._lingering, self._most = loop, lingering, most
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if len(self._lingering) >= self._most:
            transport.abort()
            return
        self._lingering.add(self)
        transport.write(_BUSY)
        if transport.can_write_eof():
            transport.write_eof()
        self._timer = self._loop.call_later(_LINGER_S, transport.close)

    def data_received(self, data: bytes) -> None:
        pass  # discarded: nothing of a refused connection is kept

    def connection_lost(self, exc: Exception | None) -> None:
        self._lingering.discard(self)
        if self._timer is not None:
            self._timer.cancel()


class GuardedServer(web.Server):
    """``web.Server`` with a connection cap and a header deadline; lives on one event loop.

    aiohttp calls the server to make each connection's protocol, then the protocol reports
    ``connection_made`` (asyncio always schedules it once the socket's transport exists); connections
    between the two are counted as ``_born``.
    """

    def __init__(self, handler: Any, *, max_connections: int, header_timeout: float, **kwargs: Any) -> None:
        # an idle keep-alive connection is closed as soon as a slow one would be; an unread body after
        # an answer (401, 413) is read and discarded for at most _LINGER_S
        super().__init__(handler, keepalive_timeout=header_timeout, lingering_time=_LINGER_S, **kwargs)
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self._deadlines: dict[RequestHandler, asyncio.TimerHandle | None] = {}
        self._born: set[RequestHandler] = set()
        self._lingering: set[_Refused] = set()
        self.refused = 0  # connections answered 503 because the cap was reached
        self.expired = 0  # connections closed because their headers did not come in time

    @property
    def open_connections(self) -> int:
        return len(self._deadlines)

    def __call__(self) -> Any:
        if len(self._deadlines) + len(self._born) >= self.max_connections:
            self.refused += 1
            return _Refused(self._loop, self._lingering, self.max_connections)
        handler = super().__call__()
        self._born.add(handler)
        return handler

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        self._born.discard(handler)
        super().connection_made(handler, transport)
        self._deadlines[handler] = None
        self._arm(handler)

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        self._born.discard(handler)
        timer = self._deadlines.pop(handler, None)
        if timer is not None:
            timer.cancel()
        super().connection_lost(handler, exc)

    def request_started(self, handler: RequestHandler) -> None:
        """The headers of a request on ``handler`` are in: its deadline is the body timeout's now."""
        timer = self._deadlines.get(handler)
        if timer is not None:
            timer.cancel()
            self._deadlines[handler] = None

    def request_finished(self, handler: RequestHandler) -> None:
        """The answer is out: the next request's headers must come within ``header_timeout``."""
        if handler in self._deadlines:
            self._arm(handler)

    def _arm(self, handler: RequestHandler) -> None:
        old = self._deadlines.get(handler)
        if old is not None:
            old.cancel()
        self._deadlines[handler] = self._loop.call_later(self.header_timeout, self._expire, handler)

    def _expire(self, handler: RequestHandler) -> None:
        if handler not in self._deadlines:
            return
        self.expired += 1
        self._deadlines[handler] = None
        transport = handler.transport
        if transport is not None:
            transport.close()
