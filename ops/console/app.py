"""The console's aiohttp application: routes, security headers, static files."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from ops.console.auth import Auth
from ops.console.publisher import Publisher
from ops.console.routes import Routes
from ops.console.routes_cooperate import CooperationRoutes
from ops.console.routes_review import ReviewRoutes
from ops.console.state import ConsoleState

__all__ = ["build_app"]

STATIC = Path(__file__).parent / "static"

# no inline script or style, no framing, nothing from elsewhere
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@web.middleware
async def _security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    resp = await handler(request)
    if not resp.prepared:
        resp.headers.update(_HEADERS)
        if request.path != "/events" and not request.path.startswith("/static/"):
            resp.headers.setdefault("Cache-Control", "no-store")
    return resp


def build_app(state: ConsoleState, publisher: Publisher, auth: Auth) -> web.Application:
    """The application of one console (its state, publisher and accounts already built)."""
    routes = Routes(state, publisher, auth.sessions)
    coop, review = CooperationRoutes(state, publisher), ReviewRoutes(state)
    app = web.Application(middlewares=[_security_headers], client_max_size=64 * 1024)
    app.add_routes(
        [
            web.get("/login", auth.login_form),
            web.post("/login", auth.login),
            web.post("/logout", auth.action(auth.logout)),
            web.get("/", auth.page(routes.index)),
            web.get("/events", auth.page(routes.events)),
            web.get("/history", auth.page(routes.history)),
            web.post("/act", auth.action(routes.act)),
            web.post("/alert", auth.action(routes.alert)),
            web.post("/operation", auth.action(routes.close_operation)),
            web.get("/thread/{request_id}", auth.page(coop.thread)),
            web.post("/reply", auth.action(coop.reply)),
            web.post("/request", auth.action(coop.send_request)),
            web.post("/agree", auth.action(coop.agree)),
            web.get("/scorecard", auth.page(review.scorecard)),
            web.get("/trace", auth.page(review.trace_form)),
            web.post("/trace", auth.action(review.trace)),
            web.get("/health", routes.health),
            web.static("/static", STATIC),
        ]
    )
    return app
