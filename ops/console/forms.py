"""Server-side HTML of the cooperation forms: answer a request, send one, give an operation's agreement."""

from __future__ import annotations

from html import escape

from ops.console.items import Item
from schemas.requests import RequestKind
from schemas.sharing import RedactField
from schemas.vocab import Category, Priority

__all__ = ["agree_form", "reply_forms", "request_compose"]


def _hidden(csrf: str, **values: str) -> str:
    fields = {"csrf": csrf, **values}
    return "".join(f'<input type="hidden" name="{k}" value="{escape(v)}">' for k, v in fields.items())


def _reply(item: Item, csrf: str, status: str, inner: str) -> str:
    hidden = _hidden(csrf, delivery_id=item.delivery_id, request_id=item.request_id or "", status=status)
    return f'<form method="post" action="/reply" class="reply-{status}">{hidden}{inner}</form>'


def reply_forms(item: Item, csrf: str) -> str:
    """A recipient's answers to a request delivered to it: accept, answer with references, decline."""
    return (
        '<div class="act reply">'
        + _reply(item, csrf, "accepted", '<button class="b-accept">Accept</button>')
        + _reply(
            item,
            csrf,
            "answered",
            '<input name="text" placeholder="answer" required maxlength="4000">'
            '<input name="attachments" placeholder="URI#sha256=HEX, …">'
            '<button class="b-answer">Answer</button>',
        )
        + _reply(
            item,
            csrf,
            "declined",
            '<input name="reason" placeholder="why" required maxlength="1000">'
            '<button class="b-decline">Decline</button>',
        )
        + "</div>"
    )


def agree_form(item: Item, csrf: str) -> str:
    """The owner's temporary agreement for its operation's members (docs/escalation.md)."""
    cats = "".join(f'<option value="{c.value}">{c.value}</option>' for c in Category)
    fields = "".join(f'<option value="{f.value}">{f.value}</option>' for f in RedactField)
    hidden = _hidden(csrf, delivery_id=item.delivery_id, operation_id=item.operation_id or "")
    return (
        f'<details class="agree"><summary>Temporary agreement for the members</summary>'
        f'<form method="post" action="/agree" class="agree-op">{hidden}'
        f'<label>Category <select name="categories">{cats}</select></label>'
        '<label>Unredact <select name="unredact"><option value="">(nothing)</option>'
        f"{fields}</select></label>"
        '<label>Purpose <input name="purpose" required placeholder="interception"></label>'
        '<label>Legal basis <input name="legal_basis" required maxlength="1000"></label>'
        '<label>Hours <input name="hours" type="number" min="1" max="720" value="24"></label>'
        '<button class="b-agree">Give agreement</button></form></details>'
    )


def request_compose(csrf: str, categories: tuple[str, ...]) -> str:
    """The form sending a cooperation request to partner regions."""
    kinds = "".join(f'<option value="{k.value}">{k.value}</option>' for k in RequestKind)
    cats = "".join(f'<option value="{escape(c)}">{escape(c)}</option>' for c in categories)
    prios = "".join(
        f'<option value="{p.value}"{" selected" if p == Priority.NORMAL else ""}>{p.value}</option>'
        for p in Priority
    )
    return (
        '<details class="compose request"><summary>Send a cooperation request (协查)</summary>'
        f'<form method="post" action="/request" id="request">{_hidden(csrf)}'
        '<label>To <input name="recipients" id="rq-to" required placeholder="500153, 500000"></label>'
        f'<label>Kind <select name="kind" id="rq-kind">{kinds}</select></label>'
        f'<label>Category <select name="category" id="rq-category">{cats}</select></label>'
        '<label>Purpose <input name="purpose" id="rq-purpose" required placeholder="investigation"></label>'
        '<label>Legal basis <input name="legal_basis" id="rq-basis" required maxlength="1000"></label>'
        f'<label>Priority <select name="priority" id="rq-priority">{prios}</select></label>'
        '<label>Respond within (min) <input name="respond_within" id="rq-within" type="number" '
        'min="1" value="60"></label>'
        '<label>Plate <input name="plate" id="rq-plate"></label>'
        '<label>Person <input name="person" id="rq-person"></label>'
        '<label>Checkpoint <input name="checkpoint" id="rq-checkpoint"></label>'
        '<label>From (UTC) <input name="window_from" type="datetime-local"></label>'
        '<label>To (UTC) <input name="window_to" type="datetime-local"></label>'
        '<label>Details <input name="details" id="rq-details" maxlength="2000"></label>'
        '<button id="send-request">Send request</button></form></details>'
    )
