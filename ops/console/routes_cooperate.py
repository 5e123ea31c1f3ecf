"""The console's cooperation pages and actions: a request's thread, answer a request, send one, give an
operation's temporary agreement."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from aiohttp import web

from ops.centre.operations import agree_operation
from ops.console.actions import ActionError
from ops.console.cooperation import reply_of, request_of, terms_of
from ops.console.publisher import Publisher, PublishError
from ops.console.sessions import Session
from ops.console.state import ConsoleState
from ops.console.thread import thread_of, thread_page
from schemas.topics import Catalogue

__all__ = ["CooperationRoutes"]

log = logging.getLogger(__name__)


def _refused(what: str) -> web.Response:
    return web.json_response({"error": f"viewers may not {what}"}, status=403)


class CooperationRoutes:
    """Handlers bound to one console's state and publisher (requests go out as the region)."""

    def __init__(self, state: ConsoleState, publisher: Publisher) -> None:
        self.state, self.publisher, self.settings = state, publisher, state.settings

    async def _form(self, request: web.Request) -> dict[str, str]:
        return {k: str(v) for k, v in (await request.post()).items()}

    async def thread(self, request: web.Request, session: Session) -> web.StreamResponse:
        """Any officer reads one request's thread: the request, each recipient's answers and their times."""
        rid = request.match_info["request_id"]
        found = thread_of(rid, self.state.thread_items(rid), self.settings.region)
        if found is None:
            raise web.HTTPNotFound(text=f"no request {rid} in this console's history")
        body = thread_page(self.settings.region, found, datetime.now(UTC))
        return web.Response(text=body, content_type="text/html")

    async def reply(self, request: web.Request, session: Session) -> web.StreamResponse:
        """A recipient accepts, answers or declines a request delivered to it."""
        if not session.role.may_answer:
            return _refused("answer requests")
        form, now = await self._form(request), datetime.now(UTC)
        item = self.state.history.get(form.get("delivery_id", ""))
        try:
            if item is None or item.request_id is None or item.request_id != form.get("request_id"):
                raise ActionError("not a request asked of this region")
            answer = reply_of(form, self.settings.region, session.officer, now)
            await asyncio.to_thread(self.publisher.request, answer)
        except ActionError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except PublishError as exc:
            return web.json_response({"error": str(exc)}, status=503)
        self.state.done({"what": "reply", "at": now.isoformat(), "officer": session.officer,
                         "address": request.remote, "delivery_id": item.delivery_id,
                         "request_id": answer.request_id, "answer_id": answer.answer_id,
                         "outcome": answer.status.value, "reason": answer.reason,
                         "attachments": [a.uri for a in answer.attachments]})  # fmt: skip
        return web.json_response({"ok": True, "answer_id": answer.answer_id, "outcome": answer.status.value})

    async def send_request(self, request: web.Request, session: Session) -> web.StreamResponse:
        """A cooperation request to partner regions; the control app delivers it or refuses it whole."""
        if not session.role.may_answer:
            return _refused("send requests")
        form, now = await self._form(request), datetime.now(UTC)
        try:
            req = request_of(form, self.settings.region, session.officer, now)
            await asyncio.to_thread(self.publisher.request, req)
        except ActionError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except PublishError as exc:
            return web.json_response({"error": str(exc)}, status=503)
        self.state.done({"what": "request", "at": now.isoformat(), "officer": session.officer,
                         "address": request.remote, "request_id": req.request_id,
                         "recipients": list(req.recipients), "kind": req.kind.value})  # fmt: skip
        return web.json_response(
            {"ok": True, "request_id": req.request_id, "outcome": f"request {req.request_id}"}
        )

    async def agree(self, request: web.Request, session: Session) -> web.StreamResponse:
        """The owner gives its operation's members a temporary agreement (`rax ops agree`)."""
        if not session.role.may_answer:
            return _refused("give agreements")
        form, now = await self._form(request), datetime.now(UTC)
        item = self.state.history.get(form.get("delivery_id", ""))
        s = self.settings
        try:
            if item is None or item.operation_id is None or item.operation_id != form.get("operation_id"):
                raise ActionError("not an operation this region owns")
            terms = terms_of(form)
            cmd = await asyncio.to_thread(
                agree_operation, s.kafka, Catalogue(s.namespace), s.region, item.operation_id, terms,
                session.officer,
            )  # fmt: skip
        except (ActionError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except RuntimeError as exc:
            return web.json_response({"error": str(exc)}, status=503)
        self.state.done({"what": "agree", "at": now.isoformat(), "officer": session.officer,
                         "address": request.remote, "delivery_id": item.delivery_id,
                         "operation_id": cmd.operation_id, "agreement_id": cmd.agreement_id,
                         "outcome": "agreement", "expires_at": cmd.expires_at.isoformat()})  # fmt: skip
        return web.json_response({"ok": True, "agreement_id": cmd.agreement_id, "outcome": "agreement"})
