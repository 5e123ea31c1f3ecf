"""Sign-in, sign-out and the session check every other route goes through (cookies, CSRF, throttling)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from ops.console.config import ConsoleSettings
from ops.console.officers import OfficerError, OfficerFile
from ops.console.ratelimit import LoginLimiter
from ops.console.render import login_page
from ops.console.sessions import Session, Sessions, same_token

__all__ = ["SESSION_COOKIE", "Auth"]

log = logging.getLogger(__name__)

# cookies are per host, not per port: two consoles on one host (the demo) must not share a name
SESSION_COOKIE = "rax_session_{region}"
LOGIN_COOKIE = "rax_login_{region}"


def redirect(location: str) -> web.Response:
    """A 303 See Other (a response, not a raised exception, so cookies can be set on it)."""
    return web.Response(status=303, headers={"Location": location})


Handler = Callable[[web.Request, Session], Awaitable[web.StreamResponse]]


class Auth:
    """The officers file, the sessions and the login limiter of one console, and the routes around them."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self.officers = OfficerFile(settings.officers)
        self.sessions = Sessions(settings.session_idle_s, settings.session_max_s)
        self.limiter = LoginLimiter(settings.login_failures, settings.login_window_s)
        self.session_cookie = SESSION_COOKIE.format(region=settings.region)
        self.login_cookie = LOGIN_COOKIE.format(region=settings.region)

    def _cookie(self, resp: web.StreamResponse, name: str, value: str) -> None:
        resp.set_cookie(name, value, httponly=True, samesite="Strict", secure=self.settings.https, path="/")

    async def login_form(
        self, request: web.Request, message: str | None = None, status: int = 200
    ) -> web.Response:
        token = secrets.token_urlsafe(24)
        resp = web.Response(
            text=login_page(self.settings.region, token, message), content_type="text/html", status=status
        )
        self._cookie(resp, self.login_cookie, token)
        return resp

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        if not same_token(str(form.get("csrf", "")), request.cookies.get(self.login_cookie)):
            return await self.login_form(request, "The form expired; sign in again.", 403)
        name, password = str(form.get("officer", "")), str(form.get("password", ""))
        address = request.remote or "?"
        wait = self.limiter.retry_after(address, name)
        if wait > 0:
            resp = await self.login_form(
                request, f"Too many failed sign-ins; try again in {wait:.0f} s.", 429
            )
            resp.headers["Retry-After"] = str(int(wait) + 1)
            return resp
        self.limiter.begin(address, name)  # counted before the check: concurrent guesses are throttled too
        try:
            officer = await asyncio.to_thread(self.officers.authenticate, name, password)
        except OfficerError as exc:  # the administrator's to fix: nobody signs in until then
            log.error("sign-in refused: %s", exc)
            return await self.login_form(
                request, "The officers file cannot be read; call the administrator.", 503
            )
        finally:
            self.limiter.end(address, name)
        if officer is None:
            self.limiter.failed(address, name)
            return await self.login_form(request, "Unknown officer or wrong password.", 401)
        self.limiter.succeeded(name)
        session = self.sessions.start(officer.name, officer.role)
        resp = redirect("/")
        self._cookie(resp, self.session_cookie, session.token)
        resp.del_cookie(self.login_cookie, path="/")
        return resp

    async def logout(self, request: web.Request, session: Session) -> web.StreamResponse:
        self.sessions.end(session.token)
        resp = redirect("/login")
        resp.del_cookie(self.session_cookie, path="/")
        return resp

    def page(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """A GET route for a signed-in officer; others are sent to the sign-in page."""

        async def route(request: web.Request) -> web.StreamResponse:
            session = self.sessions.get(request.cookies.get(self.session_cookie))
            if session is None:
                if request.path == "/events" or "json" in request.headers.get("Accept", ""):
                    return web.json_response({"error": "signed out"}, status=401)
                return redirect("/login")
            return await handler(request, session)

        return route

    def action(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """A POST route: a live session and the session's CSRF token in the form, else 401 / 403."""

        async def route(request: web.Request) -> web.StreamResponse:
            session = self.sessions.get(request.cookies.get(self.session_cookie))
            if session is None:
                return web.json_response({"error": "signed out: sign in again"}, status=401)
            form = await request.post()
            if not same_token(str(form.get("csrf", "")), session.csrf):
                return web.json_response({"error": "missing or wrong CSRF token"}, status=403)
            return await handler(request, session)

        return route
