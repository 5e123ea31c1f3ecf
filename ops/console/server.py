"""Runs one region's console: the feed thread, the publisher and the web server, over HTTP or HTTPS."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import ssl
import threading
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from ops.console.app import build_app
from ops.console.auth import Auth
from ops.console.config import ConsoleSettings
from ops.console.feed import DeliveryFeed
from ops.console.publisher import Publisher
from ops.console.state import ConsoleState
from schemas.topics import Catalogue

__all__ = ["ConsoleServer"]

T = TypeVar("T")

log = logging.getLogger(__name__)


def _soon(loop: asyncio.AbstractEventLoop, fn: Callable[[T], None], arg: T) -> None:
    """Runs ``fn(arg)`` on ``loop`` (called from the feed thread); dropped once the loop is closed."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(fn, arg)


class ConsoleServer:
    """Lifecycle: ``run()`` until ``stop()`` (the CLI), or ``start()`` in a thread and ``stop()`` (tests).

    ``port`` and ``url`` are known once it listens.
    """

    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self.port = settings.port
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.state = ConsoleState(settings, secrets.token_hex(4))
        self.auth = Auth(settings)

    @property
    def url(self) -> str:
        scheme = "https" if self.settings.https else "http"
        return f"{scheme}://{self.settings.host}:{self.port}"

    def _ssl(self) -> ssl.SSLContext | None:
        if self.settings.tls_cert is None:
            return None
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        key = str(self.settings.tls_key) if self.settings.tls_key else None
        ctx.load_cert_chain(str(self.settings.tls_cert), key)
        return ctx

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        self.loop, self._stopping = loop, asyncio.Event()
        s, cat = self.settings, Catalogue(self.settings.namespace)
        publisher = Publisher(s.kafka, cat, s.region, s.mac_key, s.keys if s.sign else None)
        feed = DeliveryFeed(
            s.kafka,
            cat,
            s.region,
            lambda raw: _soon(loop, self.state.record, raw),
            lambda status: _soon(loop, self.state.status, status),
        )
        runner = web.AppRunner(
            build_app(self.state, publisher, self.auth), handle_signals=False, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, s.host, s.port, ssl_context=self._ssl())
        await site.start()
        self.port = int(runner.addresses[0][1])  # port 0: the one the system chose
        feed.start()
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            feed.stop()
            self.state.close()  # ends the open event streams, so the runner can close at once
            await runner.cleanup()
            await asyncio.to_thread(feed.join, 10)
            publisher.stop()

    def run(self) -> None:
        asyncio.run(self._serve())

    def _run_in_thread(self) -> None:
        try:
            self.run()
        except BaseException as exc:  # handed to start(): a console that cannot start says why
            self._error = exc
            self._ready.set()

    def start(self, timeout: float = 30.0) -> ConsoleServer:
        self._error = None
        self._thread = threading.Thread(target=self._run_in_thread, name="console", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the console did not start")
        if self._error is not None:
            raise RuntimeError(f"the console did not start: {self._error!r}") from self._error
        return self

    def stop(self) -> None:
        if self.loop is not None and self._stopping is not None:
            with contextlib.suppress(RuntimeError):  # stopped already: its loop is closed
                self.loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(20)
