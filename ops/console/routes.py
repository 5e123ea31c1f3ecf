"""The console's pages and actions: the live page, its event stream, history pages, answers and alerts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from ops.console.actions import ActionError, alert_of, answer_of, close_of
from ops.console.items import Item
from ops.console.publisher import Publisher, PublishError
from ops.console.render import history_page, item_html, page
from ops.console.sessions import Session, Sessions
from ops.console.state import ConsoleState, Event
from schemas.vocab import Category

__all__ = ["Routes"]

log = logging.getLogger(__name__)
_HEARTBEAT_S = 10.0


class Routes:
    """Handlers bound to one console's state and publisher."""

    def __init__(self, state: ConsoleState, publisher: Publisher, sessions: Sessions) -> None:
        self.state, self.publisher, self.sessions = state, publisher, sessions
        self.settings = state.settings

    def _card(self, item: Item, session: Session) -> str:
        return item_html(item, session.csrf, session.role, self.settings.reject_reasons)

    async def index(self, request: web.Request, session: Session) -> web.StreamResponse:
        sent = [(i, h) for i, (_, h) in self.state.sent.items()]
        body = page(self.settings.region, session.officer, session.role, session.csrf,
                    tuple(c.value for c in Category), sent)  # fmt: skip
        return web.Response(text=body, content_type="text/html")

    async def history(self, request: web.Request, session: Session) -> web.StreamResponse:
        try:
            number = int(request.query.get("page", "1"))
        except ValueError:
            number = 1
        items, pages = self.state.history.page(number, self.settings.page_size)
        number = min(max(1, number), pages)
        cards = [self._card(i, session) for i in items]
        body = history_page(self.settings.region, session.csrf, cards, number, pages, len(self.state.history))
        return web.Response(text=body, content_type="text/html")

    def _sse(self, event: Event, session: Session) -> bytes:
        if event.kind == "item":
            item: Item = event.data
            data: Any = {"id": item.delivery_id, "seq": item.seq, "html": self._card(item, session)}
            head = f"id: {self.state.epoch}-{event.seq}\nevent: item\n"
        else:
            data, head = event.data, f"event: {event.kind}\n"
        return head.encode() + b"data: " + orjson.dumps(data) + b"\n\n"

    async def events(self, request: web.Request, session: Session) -> web.StreamResponse:
        """The one event stream of a tab: items, answers and feed status, resumable by Last-Event-ID."""
        resp = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await resp.prepare(request)
        queue = self.state.subscribe()
        try:
            last = request.headers.get("Last-Event-ID") or request.query.get("last")
            await resp.write(b"retry: 1000\n\n" + self._sse(Event("status", self.state.feed_status), session))
            for item in self.state.backlog(last):
                await resp.write(self._sse(Event("item", item, item.seq), session))
            while queue in self.state.queues or not queue.empty():
                try:
                    event: Event | None = await asyncio.wait_for(queue.get(), _HEARTBEAT_S)
                except TimeoutError:
                    event = None
                if self.sessions.get(session.token, touch=False) is None:
                    break  # session over (also on a busy feed): the page learns it when refused
                if event is None:
                    await resp.write(b": keep-alive\n\n")
                    continue
                if event.kind == "end":
                    break
                await resp.write(self._sse(event, session))
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.state.unsubscribe(queue)
        with contextlib.suppress(ConnectionResetError):
            await resp.write_eof()
        return resp

    async def act(self, request: web.Request, session: Session) -> web.StreamResponse:
        if not session.role.may_answer:
            return web.json_response({"error": "viewers may not answer"}, status=403)
        form = {k: str(v) for k, v in (await request.post()).items()}
        now = datetime.now(UTC)
        try:
            ack = answer_of(form, self.settings.region, session.officer, self.settings.reject_reasons, now)
            item = self.state.history.get(ack.delivery_id)
            if item is None:
                raise ActionError("unknown delivery")
            if not item.answerable:  # the control app would dead-letter it: the page offers no such form
                raise ActionError(f"a {item.kind} delivery is not answered with an acknowledgement")
            await asyncio.to_thread(self.publisher.ack, ack)
        except ActionError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except PublishError as exc:
            return web.json_response({"error": str(exc)}, status=503)
        self.state.done({"what": "answer", "at": now.isoformat(), "officer": session.officer,
                         "address": request.remote, "delivery_id": ack.delivery_id, "ack_id": ack.ack_id,
                         "outcome": ack.outcome.value, "reason": ack.reason, "note": ack.note})  # fmt: skip
        log.info(
            "answer", extra={"officer": session.officer, "delivery": ack.delivery_id, "outcome": ack.outcome}
        )
        return web.json_response({"ok": True, "ack_id": ack.ack_id, "outcome": ack.outcome.value})

    async def alert(self, request: web.Request, session: Session) -> web.StreamResponse:
        if not session.role.may_answer:
            return web.json_response({"error": "viewers may not send alerts"}, status=403)
        form = {k: str(v) for k, v in (await request.post()).items()}
        if form.get("msg_type") == "Cancel" and not session.role.may_cancel:
            return web.json_response({"error": "only a supervisor may cancel an alert"}, status=403)
        now = datetime.now(UTC)
        earlier = {i: ref for i, (ref, _) in self.state.sent.items()}
        try:
            alert = alert_of(
                form, self.settings.region, self.settings.cap_sender, session.officer, earlier, now
            )
            await asyncio.to_thread(self.publisher.alert, alert)
        except ActionError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except PublishError as exc:
            return web.json_response({"error": str(exc)}, status=503)
        self.state.done({"what": "alert", "at": now.isoformat(), "officer": session.officer,
                         "address": request.remote, "identifier": alert.identifier, "sender": alert.sender,
                         "sent": alert.sent.isoformat(), "msg_type": alert.msg_type.value,
                         "headline": form.get("headline", "")})  # fmt: skip
        return web.json_response({"ok": True, "identifier": alert.identifier})

    async def close_operation(self, request: web.Request, session: Session) -> web.StreamResponse:
        if not session.role.may_answer:
            return web.json_response({"error": "viewers may not close operations"}, status=403)
        form = {k: str(v) for k, v in (await request.post()).items()}
        now = datetime.now(UTC)
        item = self.state.history.get(form.get("delivery_id", ""))
        try:
            if item is None or item.operation_id is None or item.operation_id != form.get("operation_id"):
                raise ActionError("not an operation this region owns")
            cmd = close_of(form, self.settings.region, session.officer, now)
            await asyncio.to_thread(self.publisher.close, cmd)
        except ActionError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except PublishError as exc:
            return web.json_response({"error": str(exc)}, status=503)
        self.state.done({"what": "close", "at": now.isoformat(), "officer": session.officer,
                         "address": request.remote, "delivery_id": item.delivery_id,
                         "operation_id": cmd.operation_id, "outcome": cmd.outcome.value})  # fmt: skip
        return web.json_response({"ok": True, "outcome": cmd.outcome.value})

    async def health(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "feed": self.state.feed_status,
                "deliveries": len(self.state.history),
                "tabs": len(self.state.queues),
            }
        )
