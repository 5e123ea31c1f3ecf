"""One cooperation request's thread as a page: the request and each recipient's answers (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from html import escape

from ops.console.items import Item
from ops.console.render import shell
from schemas.requests import AnswerStatus, CooperationRequest, RequestAnswer

__all__ = ["Part", "Thread", "thread_of", "thread_page"]

_FINAL = (AnswerStatus.ANSWERED, AnswerStatus.DECLINED)


@dataclass(frozen=True)
class Part:
    """One recipient's side of the thread: its answers in time order (none yet: empty)."""

    region: str
    answers: tuple[RequestAnswer, ...]

    def state(self, respond_by: datetime | None, now: datetime) -> str:
        """``answered`` / ``declined`` / ``accepted`` as its latest answer says; else ``waiting`` or
        ``overdue`` (past ``respond_by`` without a final answer)."""
        final = [a for a in self.answers if a.status in _FINAL]
        if final:
            return final[-1].status.value
        if respond_by is not None and now > respond_by:
            return "overdue"
        return self.answers[-1].status.value if self.answers else "waiting"


@dataclass(frozen=True)
class Thread:
    """A request as this region sees it: ``request`` is None when only answers are held (the request
    itself is older than the history); ``requester`` tells whether this region asked."""

    request_id: str
    request: CooperationRequest | None
    parts: tuple[Part, ...]
    requester: bool


def thread_of(request_id: str, items: Iterable[Item], region: str) -> Thread | None:
    """The thread of ``request_id`` from the deliveries of it held here; None if there are none.

    The requester sees every recipient (answered or not); a recipient only its own part: the other
    recipients' answers are never delivered to it.
    """
    held = [i for i in items if i.thread == request_id]
    if not held:
        return None
    req = next((i.request for i in held if i.request is not None), None)
    answers = {a.answer_id: a for a in (i.answer for i in held) if a is not None}  # re-sends: once
    if req is not None:
        requester = req.requester == region
    else:  # only answers held: a requester holds other regions' answers, a recipient its own receipts
        requester = any(a.region != region for a in answers.values())
    regions = [region] if not requester else list(req.recipients) if req is not None else []
    regions += sorted({a.region for a in answers.values()} - set(regions))
    parts = tuple(
        Part(r, tuple(sorted((a for a in answers.values() if a.region == r), key=lambda a: a.at)))
        for r in regions
    )
    return Thread(request_id, req, parts, requester)


def _t(at: datetime | None) -> str:
    return "–" if at is None else at.isoformat(timespec="seconds")


def _request(req: CooperationRequest | None) -> str:
    if req is None:
        return '<p id="no-request">The request itself is no longer in this console\'s history.</p>'
    what = req.plate or req.person or req.checkpoint_id or "–"
    rows = [
        ("asked", f"{req.kind.value} {what} · {req.category.value} · for {req.purpose}"),
        ("legal basis", req.legal_basis),
        ("priority", req.priority.value),
        ("sent", f"{_t(req.sent_at)} by {req.operator} of {req.requester}"),
        ("respond by", _t(req.respond_by)),
        ("to", ", ".join(req.recipients)),
    ]
    if req.window_from or req.window_to:
        rows.append(("window", f"{_t(req.window_from)} – {_t(req.window_to)}"))
    if req.details:
        rows.append(("details", req.details))
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f'<section id="thread-request"><h2>Request</h2><dl>{dl}</dl></section>'


def _answer(a: RequestAnswer) -> str:
    said = "".join(
        f'<div class="{cls}">{escape(label)}: {escape(v)}</div>'
        for cls, label, v in (("reason", "reason", a.reason), ("text", "answer", a.text))
        if v
    )
    files = "".join(
        f'<li class="attachment"><code>{escape(f.uri)}</code> sha256 <code>{escape(f.sha256)}</code></li>'
        for f in a.attachments
    )  # references only, not links: the file is fetched from the answering region's store, checked
    return (
        f'<li class="answer answer-{a.status.value}"><b>{a.status.value}</b> at {escape(_t(a.at))} '
        f"by {escape(a.operator)}{said}{f'<ul>{files}</ul>' if files else ''}</li>"
    )


def thread_page(region: str, thread: Thread, now: datetime) -> str:
    """The thread: the request, then each recipient's state and answers with their times."""
    respond_by = thread.request.respond_by if thread.request is not None else None
    rows = "".join(
        f'<tr id="part-{escape(p.region)}" class="part-{state}"><td>{escape(p.region)}</td><td>{state}</td>'
        f"<td><ol>{''.join(_answer(a) for a in p.answers) or '<li>no answer yet</li>'}</ol></td></tr>"
        for p, state in ((p, p.state(respond_by, now)) for p in thread.parts)
    )
    note = "" if thread.requester else (
        "<p>This region is a recipient: only its own answers are shown; the other recipients' "
        "answers go to the requester alone.</p>"
    )  # fmt: skip
    rid = escape(thread.request_id)
    return shell(
        f"RAX console {region}: request {thread.request_id[:8]}",
        f"<header><h1>RAX {escape(region)}: request {rid}</h1>"
        '<a href="/">live</a><a href="/history">history</a></header><main>'
        f"{_request(thread.request)}{note}"
        '<table id="thread-parts"><tr><th>recipient</th><th>state</th><th>answers</th></tr>'
        f"{rows}</table></main>",
    )
