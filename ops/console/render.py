"""Server-side HTML: the item card, the pages (sign-in, console, history); every value escaped here."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from ops.console.forms import agree_form, reply_forms, request_compose
from ops.console.items import Item
from ops.console.officers import Role
from schemas.operation import OperationOutcome

__all__ = ["history_page", "item_html", "login_page", "page", "shell"]

_TRACE_LINK = '<a href="/trace" id="to-trace">trace</a>'
_OUTCOMES = (("intercepted", "intercepted"), ("not_found", "looked for, not found"), ("verified", "verified"))


def _plate(item: Item) -> str:
    if item.plate is None or not item.title.startswith(item.plate):
        return escape(item.title)
    marks = set(item.marks)
    chars = [f"<mark>{escape(c)}</mark>" if i in marks else escape(c) for i, c in enumerate(item.plate)]
    return f'<span class="plate">{"".join(chars)}</span>' + escape(item.title[len(item.plate) :])


def item_html(item: Item, csrf: str, role: Role, reasons: tuple[str, ...]) -> str:
    """One delivery as a card: what, how it matched, where and when, its clock and the answers allowed."""
    badges = "".join(
        f'<span class="badge {cls}">{escape(v)}</span>'
        for cls, v in (
            ("kind", item.kind),
            ("how", item.how),
            ("action", item.action),
            ("prio", item.priority),
        )
        if v
    )
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in item.fields)
    if item.redacted:
        rows += f'<dt>redacted</dt><dd class="redacted">{escape(", ".join(item.redacted))}</dd>'
    clock = ""
    if item.due_ms is not None:
        clock = f'<span class="clock" data-due="{item.due_ms}"></span>'
    answers = f'<div class="answers">{escape(" · ".join(item.answers))}</div>'
    link = ""
    if item.thread is not None:  # a request or an answer: its whole thread on a page of its own
        link = f'<a class="to-thread" href="/thread/{escape(quote(item.thread, safe=""))}">thread</a>'
    forms = _forms(item, csrf, reasons) if role.may_answer and item.answerable else ""
    if role.may_answer and item.operation_id is not None:
        forms += _close_form(item, csrf) + agree_form(item, csrf)
    if role.may_answer and item.request_id is not None:
        forms += reply_forms(item, csrf)
    return (
        f'<li class="item status-{escape(item.status)} prio-{escape(item.priority or "none")}" '
        f'id="d-{escape(item.delivery_id)}" data-id="{escape(item.delivery_id)}" data-seq="{item.seq}" '
        f'data-produced="{item.produced_ms}">'
        f'<div class="head"><b class="title">{_plate(item)}</b>{badges}{clock}{link}</div>'
        f"<dl>{rows}</dl>{answers}{forms}</li>"
    )


def _form(cls: str, hidden: str, inner: str) -> str:
    return (
        f'<form method="post" action="/act" class="{cls}">{hidden}'
        f'<input type="hidden" name="action" value="{cls}">{inner}</form>'
    )


def _forms(item: Item, csrf: str, reasons: tuple[str, ...]) -> str:
    hidden = (
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<input type="hidden" name="delivery_id" value="{escape(item.delivery_id)}">'
    )
    reason_opts = "".join(f'<option value="{escape(r)}">{escape(r)}</option>' for r in reasons)
    outcome_opts = "".join(f'<option value="{v}">{escape(t)}</option>' for v, t in _OUTCOMES)
    return (
        '<div class="act">'
        + _form("ack", hidden, '<button class="b-ack">Acknowledge</button>')
        + _form("confirm", hidden, '<button class="b-confirm">Confirm</button>')
        + _form(
            "reject",
            hidden,
            f'<select name="reason" required>{reason_opts}</select><input name="note" placeholder="note">'
            '<button class="b-reject">Reject</button>',
        )
        + _form(
            "outcome",
            hidden,
            f'<select name="outcome">{outcome_opts}</select>'
            '<button class="b-outcome">Report outcome</button>',
        )
        + "</div>"
    )


def _close_form(item: Item, csrf: str) -> str:
    """The owner's form closing its operation (docs/escalation.md)."""
    opts = "".join(f'<option value="{o.value}">{o.value}</option>' for o in OperationOutcome)
    return (
        f'<form method="post" action="/operation" class="close-op">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<input type="hidden" name="delivery_id" value="{escape(item.delivery_id)}">'
        f'<input type="hidden" name="operation_id" value="{escape(item.operation_id or "")}">'
        f'<select name="outcome">{opts}</select><input name="note" placeholder="note">'
        '<button class="b-close">Close operation</button></form>'
    )


def shell(title: str, body: str, csrf: str = "") -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<title>{escape(title)}</title><meta name="csrf" content="{escape(csrf)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/static/console.css"></head>'
        f"<body>{body}</body></html>"
    )


def login_page(region: str, csrf: str, message: str | None = None) -> str:
    """The sign-in form (its CSRF token is also in a cookie: double submit, before any session exists)."""
    note = f'<p class="error" id="login-error">{escape(message)}</p>' if message else ""
    return shell(
        f"RAX console {region}: sign in",
        f'<main class="login"><h1>RAX command centre {escape(region)}</h1>{note}'
        '<form method="post" action="/login">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        '<label>Officer <input name="officer" id="officer" autocomplete="username" required></label>'
        '<label>Password <input name="password" id="password" type="password" '
        'autocomplete="current-password" required></label>'
        '<button id="sign-in">Sign in</button></form></main>',
    )


def _compose(csrf: str, role: Role, categories: tuple[str, ...], sent: list[tuple[str, str]]) -> str:
    if not role.may_answer:
        return ""
    types = ["Alert", "Update", *(["Cancel"] if role.may_cancel else [])]
    type_opts = "".join(f'<option value="{t}">{t}</option>' for t in types)
    cat_opts = "".join(f'<option value="{escape(c)}">{escape(c)}</option>' for c in categories)
    ref_opts = '<option value="">(new alert)</option>' + "".join(
        f'<option value="{escape(i)}">{escape(i)} {escape(h)}</option>' for i, h in sent
    )
    return (
        '<details class="compose"><summary>Send an alert</summary>'
        '<form method="post" action="/alert" id="compose">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<label>Type <select name="msg_type" id="msg_type">{type_opts}</select></label>'
        f'<label>About <select name="references" id="references">{ref_opts}</select></label>'
        f'<label>Category <select name="category" id="category">{cat_opts}</select></label>'
        '<label>Headline <input name="headline" id="headline" required maxlength="200"></label>'
        '<label>Plates <input name="plates" id="plates" placeholder="川A12345, 渝B67890"></label>'
        '<label>Note <input name="note" id="note" maxlength="1000"></label>'
        '<button id="send-alert">Send</button></form><p id="compose-result"></p></details>'
    )


def page(
    region: str,
    officer: str,
    role: Role,
    csrf: str,
    categories: tuple[str, ...],
    sent: list[tuple[str, str]],
) -> str:
    """The console: banner, compose form, the live list (filled by the event stream) and the history link."""
    return shell(
        f"RAX console {region}",
        f'<header><h1>RAX {escape(region)}</h1><span id="who">{escape(officer)} ({escape(role.value)})</span>'
        f'<a href="/history">history</a><a href="/scorecard" id="to-scorecard">scorecard</a>'
        f"{_TRACE_LINK if role.may_trace else ''}"
        f'<form method="post" action="/logout"><input type="hidden" name="csrf" value="{escape(csrf)}">'
        '<button id="sign-out">Sign out</button></form></header>'
        '<div id="banner" hidden></div>'
        f"{_compose(csrf, role, categories, sent)}"
        f"{request_compose(csrf, categories) if role.may_answer else ''}"
        '<p id="counts"></p><ol id="live"></ol>'
        '<script src="/static/console.js"></script>',
        csrf,
    )


def history_page(region: str, csrf: str, items_html: list[str], page_no: int, pages: int, total: int) -> str:
    """One page of the region's history, newest first, with links to the neighbouring pages."""
    prev = f'<a id="newer" href="/history?page={page_no - 1}">newer</a>' if page_no > 1 else ""
    nxt = f'<a id="older" href="/history?page={page_no + 1}">older</a>' if page_no < pages else ""
    nav = f"<nav>{prev} page {page_no} of {pages} ({total} deliveries) {nxt}</nav>"
    return shell(
        f"RAX console {region}: history",
        f'<header><h1>RAX {escape(region)}: history</h1><a href="/">live</a></header>{nav}'
        f'<ol id="history">{"".join(items_html)}</ol>{nav}'
        '<script src="/static/console.js"></script>',
        csrf,
    )
