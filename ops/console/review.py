"""The review pages: the region's scorecards (from the evaluation app) and an audit trace's timeline."""

from __future__ import annotations

import urllib.error
import urllib.request
from html import escape

from ops.audit import Timeline
from ops.console.render import shell
from schemas.scorecard import Period, Scorecard

__all__ = ["fetch_scorecard", "scorecard_page", "trace_form", "trace_page"]

_BACK = '<a href="/">live</a>'


def fetch_scorecard(base_url: str, region: str, period: Period, timeout: float = 5.0) -> Scorecard | str:
    """The current scorecard of ``region`` from the evaluation app's web view, or why there is none."""
    url = f"{base_url.rstrip('/')}/scorecards/{region}/{period.value}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return Scorecard.model_validate_json(resp.read())
    except urllib.error.HTTPError as exc:
        return "no scorecard yet" if exc.code == 404 else f"the evaluation app answered {exc.code}"
    except (OSError, ValueError) as exc:
        return f"the evaluation app is unreachable ({exc.__class__.__name__})"


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} s"


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def _card(period: Period, card: Scorecard | str) -> str:
    head = f'<section class="scorecard" id="sc-{period.value}"><h2>{period.value}</h2>'
    if isinstance(card, str):
        return f"{head}<p>{escape(card)}</p></section>"
    a, o, f = card.acknowledge, card.answer, card.freshness
    rows = [
        ("period", f"{card.start.isoformat()} – {card.end.isoformat()} (as of {card.as_of.isoformat()})"),
        ("acknowledged", f"{a.answered}/{a.owed} · p50 {_s(a.p50_s)} · p90 {_s(a.p90_s)} · "
                         f"breaches {a.breaches}"),
        ("outcomes reported", f"{o.answered}/{o.owed} ({_rate(card.outcome_reporting_rate)}) · "
                              f"breaches {o.breaches}"),
        ("read → exchange", f"{f.reads} reads · p50 {_s(f.p50_s)} · p90 {_s(f.p90_s)}"),
    ]  # fmt: skip
    rows += [
        (f"{k.kind.value} matches", f"{k.reported} reported · intercepted {_rate(k.interception_rate)} · "
                                    f"false hits {_rate(k.false_hit_rate)}")
        for k in card.outcomes
    ]  # fmt: skip
    if card.requests is not None:
        r = card.requests
        rows.append(("requests", f"{r.received} received · {r.answered} answered · {r.declined} declined · "
                                 f"breaches {r.breaches}"))  # fmt: skip
    cps = "".join(
        f'<tr class="cp-{c.status.value}"><td>{escape(c.checkpoint_id)}</td><td>{c.reads}</td>'
        f"<td>{'–' if c.expected is None else f'{c.expected:.0f}'}</td><td>{c.status.value}</td></tr>"
        for c in card.checkpoints
    )
    table = (
        f"<table><tr><th>checkpoint</th><th>reads</th><th>expected</th><th>status</th></tr>{cps}</table>"
        if cps
        else ""
    )
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f"{head}<dl>{dl}</dl>{table}</section>"


def scorecard_page(region: str, cards: dict[Period, Scorecard | str] | str) -> str:
    """The region's current hour, day and week; or why they cannot be shown."""
    body = (
        f'<p id="scorecard-note">{escape(cards)}</p>'
        if isinstance(cards, str)
        else "".join(_card(p, c) for p, c in cards.items())
    )
    return shell(
        f"RAX console {region}: scorecard",
        f"<header><h1>RAX {escape(region)}: scorecard</h1>{_BACK}</header><main>{body}</main>",
    )


def trace_form(region: str, csrf: str, message: str | None = None) -> str:
    """A supervisor's trace request: one subject, as `rax audit trace` takes it."""
    note = f'<p class="error" id="trace-note">{escape(message)}</p>' if message else ""
    subjects = "".join(f'<option value="{s}">{s}</option>' for s in ("plate", "delivery"))
    return shell(
        f"RAX console {region}: audit trace",
        f"<header><h1>RAX {escape(region)}: audit trace (责任倒查)</h1>{_BACK}</header>{note}"
        '<form method="post" action="/trace" id="trace">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<label>Trace <select name="subject" id="trace-subject">{subjects}</select></label>'
        '<label>Plate or delivery id <input name="value" id="trace-value" required maxlength="128"></label>'
        '<button id="run-trace">Trace</button></form>'
        "<p>The trace is itself written to the audit log, with your name, before it is shown.</p>",
        csrf,
    )


def trace_page(region: str, label: str, timeline: Timeline) -> str:
    """The timeline of one trace kept to ``region``'s records (``ops.console.trace_scope``), and each
    region's part in them, as `rax audit trace` prints them.

    Neither how many records were left out nor how many were scanned is said: a count of other regions'
    records is already something about what they received.
    """
    events = "".join(
        f'<tr class="ev-{escape(e.kind)}"><td>{escape(e.at)}</td><td>{escape(e.kind)}</td>'
        f"<td>{escape(e.what)}</td></tr>"
        for e in timeline.events
    )
    parties = "".join(
        f"<li>{escape(r)}: received {len(p.received)}, refused {len(p.refused)}, acted {len(p.acted)}, "
        f"breached {len(p.breached)}, open {len(p.open())}</li>"
        for r, p in sorted(timeline.parties.items())
    )
    return shell(
        f"RAX console {region}: trace {label}",
        f'<header><h1>RAX {escape(region)}: trace of {escape(label)}</h1><a href="/trace">new trace</a>'
        f"{_BACK}</header>"
        f'<p id="trace-count">{len(timeline.events)} record(s) concerning {escape(region)} (records '
        "between other regions are not shown); this trace is audited.</p>"
        f'<table id="timeline"><tr><th>at</th><th>event</th><th>what</th></tr>{events}</table>'
        f'<ul id="parties">{parties}</ul>',
    )
