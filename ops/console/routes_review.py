"""The console's review pages: the region's scorecard, and a supervisor's audit trace (itself audited)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from aiohttp import web

from ops.audit import Query, TraceSubject, build_timeline, run_trace
from ops.console.review import fetch_scorecard, scorecard_page, trace_form, trace_page
from ops.console.sessions import Session
from ops.console.state import ConsoleState
from ops.console.trace_scope import scoped
from schemas.scorecard import Period, Scorecard
from schemas.topics import Catalogue

__all__ = ["NO_AUDIT_IDENTITY", "ReviewRoutes"]

log = logging.getLogger(__name__)

NO_AUDIT_IDENTITY = (
    "This console cannot trace: a region's Kafka identity may not read rax.audit (ops/zone/privileges.py), "
    "and the console was started without an audit identity (--audit-username). Ask the zone's operators "
    "to run `rax audit trace`, or to start the console with an identity that may read and write rax.audit."
)


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, content_type="text/html", status=status)


class ReviewRoutes:
    """Handlers of one console: scorecards from the evaluation app, traces through ``ops.audit``."""

    def __init__(self, state: ConsoleState) -> None:
        self.state, self.settings = state, state.settings

    async def scorecard(self, request: web.Request, session: Session) -> web.StreamResponse:
        """Any officer sees the region's current hour, day and week (its own scorecards only)."""
        base, region = self.settings.scorecards_url, self.settings.region
        if base is None:
            return _html(scorecard_page(region, "No evaluation app configured (--scorecards-url)."))
        cards: dict[Period, Scorecard | str] = {}
        for period in Period:
            cards[period] = await asyncio.to_thread(fetch_scorecard, base, region, period)
        return _html(scorecard_page(region, cards))

    async def trace_form(self, request: web.Request, session: Session) -> web.StreamResponse:
        if not session.role.may_trace:
            return _html(trace_form(self.settings.region, "", "Only a supervisor may trace."), 403)
        note = None if self.settings.audit_kafka is not None else NO_AUDIT_IDENTITY
        return _html(trace_form(self.settings.region, session.csrf, note))

    async def trace(self, request: web.Request, session: Session) -> web.StreamResponse:
        """Runs `rax audit trace` for the signed-in supervisor (its audit record names the officer) and
        shows the records the region is a party to."""
        s = self.settings
        if not session.role.may_trace:
            return _html(trace_form(s.region, "", "Only a supervisor may trace."), 403)
        if s.audit_kafka is None:
            return _html(trace_form(s.region, session.csrf, NO_AUDIT_IDENTITY), 503)
        form = await request.post()
        try:
            query = Query.of(TraceSubject(str(form.get("subject", ""))), str(form.get("value", "")))
        except ValueError as exc:
            return _html(trace_form(s.region, session.csrf, str(exc)), 400)
        try:
            found, _ = await asyncio.to_thread(
                run_trace, s.audit_kafka, Catalogue(s.namespace), query, s.region, session.officer,
                timeout=s.trace_timeout_s, index_path=s.audit_index,
            )  # fmt: skip
        except (RuntimeError, TimeoutError) as exc:
            return _html(trace_form(s.region, session.csrf, f"not traced: {exc}"), 503)
        # the region's own part only: the audit identity reads the whole log, the supervisor may not
        own = scoped(found.records, s.region)
        self.state.journal.append({"what": "trace", "at": datetime.now(UTC).isoformat(),
                                   "officer": session.officer, "address": request.remote,
                                   "subject": query.label(), "records": len(own)})  # fmt: skip
        return _html(trace_page(s.region, query.label(), build_timeline(own)))
