"""Health, readiness, /metrics and a processor's JSON views over HTTP, served from a daemon thread.

``/health`` is 200 while the loop turns (503 once it has not turned for ``stall_s``); ``/ready`` is 200
once state is restored and the processor is ready, else 503 with the reasons; ``/metrics`` is the
Prometheus text of the process's registry. Port 0 binds any free port: ``WebServer.port`` is the real one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

__all__ = ["WebServer"]

log = logging.getLogger(__name__)


class WebServer:
    """Lifecycle: ``start()`` binds and serves in a daemon thread; ``stop()`` closes the socket."""

    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        health: Callable[[], list[str]],
        ready: Callable[[], list[str]],
        views: dict[str, Callable[[], Any]] | None = None,
    ) -> None:
        routes: dict[str, Callable[[], tuple[int, str, bytes]]] = {
            "/metrics": lambda: (200, CONTENT_TYPE_LATEST, generate_latest(registry)),
            "/health": lambda: _reasons(health()),
            "/ready": lambda: _reasons(ready()),
        }
        for path, view in (views or {}).items():
            routes[path] = _json_route(view)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = routes.get(self.path.split("?", 1)[0])
                try:
                    status, ctype, body = route() if route else (404, "text/plain", b"not found\n")
                except Exception as exc:  # a view must never take the server down
                    log.exception("web view %s failed", self.path)
                    status, ctype, body = 500, "text/plain", f"{type(exc).__name__}\n".encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="rax-web", daemon=True)

    def start(self) -> None:
        self._thread.start()
        log.info("web endpoints on http://%s:%d (/metrics /health /ready)", self.host, self.port)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _json_route(view: Callable[[], Any]) -> Callable[[], tuple[int, str, bytes]]:
    return lambda: (200, "application/json", orjson.dumps(view()))


def _reasons(reasons: list[str]) -> tuple[int, str, bytes]:
    if not reasons:
        return 200, "text/plain", b"ok\n"
    return 503, "text/plain", ("\n".join(reasons) + "\n").encode()
