"""What the page shows of one delivery: a flat, JSON-able view built from the wire record, any kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from schemas.acks import BreachStage
from schemas.codec import DecodeError, decode
from schemas.delivery import Delivery
from schemas.delivery_notice import DeliveryNotice
from schemas.requests import CooperationRequest, RequestAnswer
from streams.control.config import DeadlinePolicy

__all__ = ["Item", "item_of", "plate_marks"]


@dataclass
class Item:
    """One delivery as the console shows it; ``status`` changes as officers answer it.

    ``due_ms``: when the acknowledgement is due (epoch ms), by the control app's deadline policy;
    ``fields``: label → value lines, in order; ``plate``/``marks``: the plate read and which of its
    characters differ from the entry's.
    """

    delivery_id: str
    kind: str
    owner: str
    produced_ms: int
    due_ms: int | None
    title: str
    action: str | None = None
    priority: str | None = None
    how: str | None = None
    plate: str | None = None
    marks: tuple[int, ...] = ()
    fields: list[tuple[str, str]] = field(default_factory=list)
    redacted: tuple[str, ...] = ()
    status: str = "new"
    answers: list[str] = field(default_factory=list)
    seq: int = 0
    operation_id: str | None = None  # an operation this region owns: it may close it
    request_id: str | None = None  # a cooperation request asked of this region: it may answer it
    thread: str | None = None  # the request a request or answer delivery belongs to
    request: CooperationRequest | None = None  # a request delivery's record, for its thread's page
    answer: RequestAnswer | None = None  # an answer delivery's record, for its thread's page

    @property
    def answerable(self) -> bool:
        """Answered with an acknowledgement (a request is answered with its own answers instead)."""
        return self.due_ms is not None and self.thread is None


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def plate_marks(read: str, entry: str) -> tuple[int, ...]:
    """Positions of ``read`` that differ from ``entry`` (a wildcard ``?``/``*`` in the entry differs too)."""
    return tuple(i for i, c in enumerate(read) if i >= len(entry) or entry[i] != c)


def item_of(raw: bytes, region: str, policy: DeadlinePolicy) -> Item | None:
    """The view of a record of ``rax.out.<region>``; a kind this version does not know is shown generically.

    None when the record is not a delivery to ``region`` at all (undecodable, or no id).
    """
    try:
        d = decode(raw, Delivery)
    except DecodeError:
        return _generic(raw, region)
    if d.recipient != region:  # not this region's: never shown, whatever topic it came from
        return None
    item = Item(d.delivery_id, d.kind.value, d.owner, _ms(d.produced_at), None, d.kind.value)
    try:  # the control app's view of what it asks and how soon; a kind it does not know asks nothing
        notice = DeliveryNotice.of(d)
    except (AssertionError, ValueError):
        notice = None
    if notice is not None:
        item.action, item.priority = notice.action.value, notice.priority.value
        seconds = policy.seconds(BreachStage.ACKNOWLEDGE, item.action, item.priority)
        item.due_ms = item.produced_ms + int(1000 * seconds)
    item.fields.append(("owner", d.owner if d.owner != region else f"{d.owner} (own)"))
    if d.agreement_id:
        item.fields.append(("agreement", f"{d.agreement_id} ({d.purpose or '-'})"))
    _describe(d, item)
    return item


def _describe(d: Delivery, item: Item) -> None:
    if d.match is not None:
        m = d.match
        item.title = f"{m.plate}"
        item.how, item.plate = m.kind.value, m.plate
        item.marks = plate_marks(m.plate, m.matched_plate) if m.kind.value != "exact" else ()
        item.redacted = tuple(r.value for r in m.redacted)
        item.fields += [
            ("how", f"{m.kind.value} · score {m.score:.2f} · {m.edits} edit(s) · entry {m.matched_plate}"),
            ("read", f"{m.pass_time.isoformat(timespec='seconds')} at {m.checkpoint_id or '(redacted)'}"),
            ("read in", m.hit_region),
            ("category", m.category.value),
        ]
        if not m.conforms and m.breaks is not None:
            item.fields.append(("breaks", str(m.breaks.value)))
        if m.description:
            item.fields.append(("vehicle", m.description))
    elif d.alert is not None:
        a = d.alert
        info = a.info[0] if a.info else None
        item.title = f"{a.msg_type.value}: {(info.headline or info.event) if info else a.identifier}"
        item.fields += [
            ("identifier", a.identifier),
            ("sent", a.sent.isoformat(timespec="seconds")),
            ("category", a.category.value),
        ]
        if a.plates:
            item.fields.append(("plates", ", ".join(a.plates)))
        if a.references:
            item.fields.append(("about", ", ".join(r.identifier for r in a.references)))
    elif d.breach is not None:
        b = d.breach
        item.due_ms = None  # a breach is news for the owner, not a thing to answer
        item.title = f"deadline breach: {b.region} did not {b.stage.value}"
        item.fields += [("delivery", b.delivery_id), ("due", b.due_at.isoformat(timespec="seconds"))]
    elif d.operation is not None:
        o = d.operation
        item.title = f"{o.plate} · operation: {o.trigger.value}"
        item.plate = o.plate
        if d.owner == d.recipient:
            item.operation_id = o.operation_id
        item.fields += [
            ("operation", o.operation_id),
            ("regions", ", ".join(o.regions)),
            ("reads", str(len(o.evidence))),
        ]
        item.fields += [
            (f"evidence {n}", f"{e.pass_time.isoformat(timespec='seconds')} {e.region} "
                              f"at {e.checkpoint_id or '(redacted)'} {e.plate}")
            for n, e in enumerate(o.evidence, 1)
        ]  # fmt: skip
        if o.detail:
            item.fields.append(("why", o.detail))
    elif d.closure is not None:
        c = d.closure
        item.due_ms = None
        item.title = f"operation closed: {c.plate} ({c.outcome.value})"
        item.fields.append(("operation", c.operation_id))
    elif d.request is not None:
        _describe_request(d, item)
    elif d.answer is not None:
        _describe_answer(d.answer, item)
    else:  # a payload this console has no card for yet: its fields as they are
        data = d.model_dump(mode="json", exclude=_ENVELOPE, exclude_none=True)
        for payload in data.values():
            _generic_fields(payload if isinstance(payload, dict) else {"value": payload}, item)


def _describe_answer(a: RequestAnswer, item: Item) -> None:
    item.due_ms, item.thread, item.answer = None, a.request_id, a
    item.title = f"answer: {a.region} {a.status.value} request {a.request_id[:8]}"
    item.fields += [
        ("request", a.request_id),
        ("by", f"{a.operator} at {a.at.isoformat(timespec='seconds')}"),
    ]
    item.fields += [(k, v) for k, v in (("reason", a.reason), ("text", a.text)) if v]
    item.fields += [("attachment", f"{f.uri} (sha256 {f.sha256})") for f in a.attachments]


def _describe_request(d: Delivery, item: Item) -> None:
    r = d.request
    assert r is not None
    item.thread, item.plate, item.priority, item.request = r.request_id, r.plate, r.priority.value, r
    what = r.plate or r.person or r.checkpoint_id or ""
    if r.requester == d.recipient:  # its own copy: the thread's head, owed nothing
        item.due_ms = None
        item.title = f"request sent: {r.kind.value} {what} to {', '.join(r.recipients)}"
    else:
        item.request_id = r.request_id
        item.title = f"request: {r.kind.value} {what} from {r.requester}"
    item.fields += [
        ("request", r.request_id),
        ("asked", f"{r.kind.value} · {r.category.value} · for {r.purpose}"),
        ("legal basis", r.legal_basis),
        ("respond by", r.respond_by.isoformat(timespec="seconds")),
        ("by", f"{r.operator} of {r.requester} at {r.sent_at.isoformat(timespec='seconds')}"),
    ]
    if r.checkpoint_id and r.window_from and r.window_to:
        item.fields.append(("window", f"{r.window_from.isoformat()} – {r.window_to.isoformat()}"))
    if r.details:
        item.fields.append(("details", r.details))


#: the delivery's own fields, around its one payload
_ENVELOPE = {"schema_version", "delivery_id", "recipient", "kind", "owner", "agreement_id",
             "read_agreement_id", "purpose", "produced_at", "source_time"}  # fmt: skip


def _generic_fields(data: dict[str, Any], item: Item) -> None:
    for key, value in data.items():
        if key in ("delivery_id", "kind", "schema_version") or value is None:
            continue
        text = value if isinstance(value, str) else orjson.dumps(value).decode()
        item.fields.append((key, text if len(text) <= 300 else text[:300] + "…"))


def _generic(raw: bytes, region: str) -> Item | None:
    """A record of a kind this console does not know yet (e.g. cooperation requests): its top-level fields."""
    try:
        data: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("delivery_id"), str):
        return None
    if data.get("recipient", region) != region:  # another region's, as for a delivery that decodes
        return None
    produced = data.get("produced_at")
    try:
        produced_ms = _ms(datetime.fromisoformat(str(produced).replace("Z", "+00:00")))
    except ValueError:
        produced_ms = 0
    item = Item(data["delivery_id"], str(data.get("kind", "unknown")), str(data.get("owner", "?")),
                produced_ms, None, str(data.get("kind", "delivery")))  # fmt: skip
    _generic_fields(data, item)
    return item
