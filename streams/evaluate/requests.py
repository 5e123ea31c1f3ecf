"""Cooperation requests (协查): request-topic records and the control app's audit records → facts; figures.

``request_events`` and ``act_reply`` are the one place that knows the wire form of requests
(``schemas.requests``) and of their audit records (``streams/control/requests/records.py``); the rest of
the evaluator sees ``RequestFact`` and ``RequestReply``. The requesters' topics give each recipient's
deadline (``respond_by``); the audit log says what the control app did with it: a recipient counts as
asked once the request was delivered to it (its disclosure record), so one refused under the consent rule
or a request dead-lettered whole asks nobody; and an answer counts once delivered to the requester (its act
record, at the control app's decision), so one the control app refused (out of turn, from a region not
asked, badly timed) counts for nothing. Answers on the requests topics are validated, not counted.
"""

from __future__ import annotations

from schemas.codec import DecodeError, decode_any
from schemas.dlq import DlqReason, DlqStage
from schemas.requests import CooperationRequest, RequestMessage
from schemas.scorecard import RequestFigures
from streams.evaluate.decode import BadRecord
from streams.evaluate.facts import RequestFact, RequestReply
from streams.evaluate.fast import AuditFields
from streams.evaluate.ledger import Ledger
from streams.evaluate.periods import hours

__all__ = ["act_reply", "request_events", "request_figures"]

_FINAL = frozenset({"answered", "declined"})
_REPLIES = frozenset({"accepted", *_FINAL})


def act_reply(f: AuditFields) -> RequestReply | None:
    """The answer an act record says was delivered to the requester (id: the delivery's), else ``None``."""
    if f.kind != "request_answer" or f.act not in _REPLIES or f.decision != "disclosed":
        return None
    return RequestReply(f.delivery_id, f.subject_id, f.owner, str(f.act), f.at)


def request_events(value: bytes | None, topic_region: str | None, received: float) -> list[RequestFact]:
    """The recipients of one request of a region's requests topic, sent at ``received`` (the record's
    time); an answer gives none (its act record counts); raises ``BadRecord`` for a bad record."""
    try:
        msg = decode_any(value, RequestMessage, "RequestMessage")
    except DecodeError as exc:
        raise BadRecord(str(exc), exc.reason) from None
    region = msg.requester if isinstance(msg, CooperationRequest) else msg.region
    if topic_region is not None and region != topic_region:
        raise BadRecord(
            f"region {region} inside a record of region {topic_region}'s topic",
            DlqReason.REGION_MISMATCH,
            DlqStage.VALIDATE,
        )
    if isinstance(msg, CooperationRequest):
        due = msg.respond_by.timestamp()
        return [RequestFact(msg.request_id, region, r, received, due) for r in msg.recipients]
    return []


def request_figures(ledger: Ledger, region: str, start: int, end: int, as_of: float) -> RequestFigures | None:
    """Requests delivered to ``region`` in the window; ``None`` while no request was ever delivered."""
    if not ledger.delivered:
        return None
    received = answered = declined = breaches = 0
    for hour in hours(start, end):
        for key in ledger.requested_of.get((region, hour), ()):
            if key not in ledger.delivered:
                continue  # refused, dead-lettered, or not yet decided by the control app
            q = ledger.requests[key]
            replies = sorted(ledger.replies_of.get(key, ()), key=lambda r: (r.received, r.answer_id))
            final = next((r for r in replies if r.status in _FINAL), None)
            received += 1
            answered += final is not None and final.status == "answered"
            declined += final is not None and final.status == "declined"
            breaches += (final.received if final is not None else as_of) > q.respond_by
    return RequestFigures(received=received, answered=answered, declined=declined, breaches=breaches)
