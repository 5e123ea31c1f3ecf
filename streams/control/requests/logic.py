"""A request thread's state machine: a request sent under consent, then each recipient's answers.

Both travel on the sender's ``rax.in.<region>.requests`` keyed by the request id, so intake forwards
them to one inbox partition, where the thread is stored (``requests``). The rules:

* a request must come from its requester's own topic (``region_mismatch``), keyed by its id, with
  plausible times; one already stored is a duplicate (a re-send changes nothing);
* it goes to every recipient the consent rule allows (``consent``) or to none: one refusal dead-letters
  the whole request (``not_authorised``), each refused recipient audited;
* an answer must come from the answering region's own topic (``region_mismatch``), answer a known
  request (``unknown_reference``: the request was stored before any recipient could read it) addressed
  to that region (``not_authorised``), and follow the thread: pending → accepted → answered, or
  pending/accepted → declined; answered may be followed by further answers (more results); declined
  is final (``schema_violation`` otherwise, naming the status);
* answers are delivered to the requester under the recipient's agreement, the one recorded when the
  request went out if still in force; a result (``answered``) is judged again at its delivery, like an
  alert's Update;
* where an agreement of the thread says ``seal``, its deliveries are sealed to the recipients' keys
  (``sealing``): a request a recipient (or, for the answers, the requester) has no key for is refused
  (``no_seal_key``); an answer the requester has no key for any more is dead-lettered, audited alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson

from schemas.codec import DecodeError, decode_any
from schemas.dlq import DlqReason, DlqStage
from schemas.requests import AnswerStatus, CooperationRequest, RequestAnswer, RequestMessage
from schemas.seal_policy import agreement_seals
from schemas.times import TimeBounds
from schemas.topics import Catalogue
from schemas.vocab import Category
from schemas.zone import Zone
from streams.control.common import Output, Rejected, Unresolved, from_epoch, to_epoch
from streams.control.requests.consent import request_consent
from streams.control.requests.records import answer_records, answer_refusal, refusal_record, request_records
from streams.control.requests.sealing import answer_keys, request_keys
from streams.control.state import PartyState, RequestState

__all__ = [
    "FINAL",
    "PENDING",
    "Refused",
    "RequestResult",
    "next_status",
    "process_requests_record",
    "request_digest",
]

PENDING = "pending"
#: Statuses after which the final-answer deadline is met.
FINAL = frozenset({AnswerStatus.ANSWERED.value, AnswerStatus.DECLINED.value})

#: status now -> the statuses an answer may move it to
_NEXT = {
    PENDING: frozenset(AnswerStatus),
    AnswerStatus.ACCEPTED.value: frozenset({AnswerStatus.ANSWERED, AnswerStatus.DECLINED}),
    AnswerStatus.ANSWERED.value: frozenset({AnswerStatus.ANSWERED}),
    AnswerStatus.DECLINED.value: frozenset[AnswerStatus](),
}


class Refused(Rejected):
    """A request the consent rule refuses: dead-lettered, with the refusals' audit records kept."""

    def __init__(self, message: str, audits: list[Output]) -> None:
        super().__init__(DlqReason.NOT_AUTHORISED, DlqStage.VALIDATE, message)
        self.audits = audits


@dataclass
class RequestResult:
    """What one record did: its outputs and the thread's new state (``None``: a duplicate)."""

    request_id: str
    state: RequestState | None
    outputs: list[Output] = field(default_factory=list)
    status: str = ""  # the op: request, or the answer's status
    region: str = ""  # the region that sent it


def next_status(current: str, answer: AnswerStatus) -> str | None:
    """The party's status after ``answer``, or None if the thread does not allow it."""
    return answer.value if answer in _NEXT[current] else None


def process_requests_record(
    raw: bytes | None,
    topic_region: str,
    requests: Mapping[str, RequestState],
    *,
    key: str,
    zone: Zone,
    catalogue: Catalogue,
    now: datetime,
    received: datetime,
    bounds: TimeBounds,
) -> RequestResult:
    """Decide one record of ``rax.in.<topic_region>.requests``; raises ``Rejected`` / ``Unresolved``."""
    try:
        message = decode_any(raw, RequestMessage, "request or answer")
    except DecodeError as exc:
        raise Rejected(exc.reason, DlqStage.DECODE, str(exc)) from None
    if message.request_id != key:
        raise Rejected(
            DlqReason.SCHEMA_VIOLATION,
            DlqStage.VALIDATE,
            f"keyed {key!r:.80}, not by the request id {message.request_id}: a thread is partitioned by it",
        )
    if isinstance(message, CooperationRequest):
        return _request(message, topic_region, requests, zone, catalogue, now, received, bounds)
    return _answer(message, topic_region, requests, zone, catalogue, now, received, bounds)


def _time_problem(name: str, at: datetime, received: datetime, ahead_s: int, behind_s: int) -> str | None:
    if at > received + timedelta(seconds=ahead_s):
        return f"{name} {at.isoformat()} is more than {ahead_s} s ahead of the exchange's clock"
    if at < received - timedelta(seconds=behind_s):
        return f"{name} {at.isoformat()} is more than {behind_s} s behind the exchange's clock"
    return None


def _request(
    req: CooperationRequest,
    topic_region: str,
    requests: Mapping[str, RequestState],
    zone: Zone,
    cat: Catalogue,
    now: datetime,
    received: datetime,
    bounds: TimeBounds,
) -> RequestResult:
    if req.requester != topic_region:
        raise Rejected(
            DlqReason.REGION_MISMATCH,
            DlqStage.VALIDATE,
            f"a request of region {req.requester} on the requests topic of region {topic_region}",
        )
    known = requests.get(req.request_id)
    if known is not None:
        _same_request(req, known)  # raises for another region's id, or the id of another request
        return RequestResult(req.request_id, None)  # sent again (a connector's retry): once
    problem = _time_problem("sent_at", req.sent_at, received, bounds.skew_s, bounds.command_age_s)
    if problem is None and req.respond_by <= received:
        problem = f"respond_by {req.respond_by.isoformat()} has passed on arrival"
    if problem is None:
        problem = _time_problem("respond_by", req.respond_by, received, bounds.horizon_s, 0)
    if problem is not None:
        raise Rejected(DlqReason.IMPLAUSIBLE_TIME, DlqStage.VALIDATE, problem)
    consents = {
        r: request_consent(zone, req.requester, r, req.category, req.purpose, now) for r in req.recipients
    }
    refused = {r: c for r, c in consents.items() if not c.allowed}
    if refused:
        problems = "; ".join(c.problem or "" for c in refused.values())
        audits = [refusal_record(cat, req, r, c.refusal(), c.problem or "", now) for r, c in refused.items()]
        raise Refused(f"request {req.request_id} may not go to {', '.join(refused)}: {problems}", audits)
    keys, missing = request_keys(zone, req.requester, consents, now)
    if missing:
        problems = "; ".join(m.problem for m in missing)
        audits = [refusal_record(cat, req, m.recipient, m.refusal(), m.problem, now) for m in missing]
        raise Refused(f"request {req.request_id} may not go sealed: {problems}", audits)
    outputs: list[Output] = []
    parties: dict[str, PartyState] = {}
    for recipient, consent in consents.items():
        agreement_id = consent.request.agreement_id
        did, records = request_records(cat, req, recipient, agreement_id, now, keys[recipient])
        outputs += records
        parties[recipient] = PartyState(
            delivery=did,
            agreement=consent.request.agreement_id,
            purpose=req.purpose,
            answer_agreement=consent.answer.agreement_id,
            status=PENDING,
            received_at=None,
            answered_at=None,
            answers=[],
            breached=[],
        )
    outputs += request_records(cat, req, req.requester, None, now, keys[req.requester])[1]  # its own copy
    state = RequestState(
        requester=req.requester,
        kind=req.kind.value,
        category=req.category.value,
        purpose=req.purpose,
        priority=req.priority.value,
        plate=req.plate,
        sent_at=to_epoch(req.sent_at),
        delivered_at=to_epoch(now),
        respond_by=to_epoch(req.respond_by),
        parties=parties,
        digest=request_digest(req),
    )
    return RequestResult(req.request_id, state, outputs, "request", req.requester)


def request_digest(message: CooperationRequest | RequestAnswer) -> str:
    """SHA-256 of everything a request or answer says (its JSON, keys sorted): a re-send has the same."""
    return hashlib.sha256(
        orjson.dumps(message.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    ).hexdigest()


def _same_request(req: CooperationRequest, known: RequestState) -> None:
    """Refuse a request that reuses a delivered request's id: another region's (its requests would be
    counted and its deadlines judged against the forger's), or the same region's with other content
    (a changed request needs an id of its own; the recipients would never see the change)."""
    if known["requester"] != req.requester:
        raise Rejected(
            DlqReason.NOT_AUTHORISED,
            DlqStage.VALIDATE,
            f"request id {req.request_id} is a request of region {known['requester']}: a region's request "
            "ids are its own",
        )
    sent = (
        req.kind.value,
        req.category.value,
        req.purpose,
        req.priority.value,
        req.plate,
        to_epoch(req.sent_at),
        to_epoch(req.respond_by),
        sorted(req.recipients),
    )
    kept = (
        known["kind"],
        known["category"],
        known["purpose"],
        known["priority"],
        known["plate"],
        known["sent_at"],
        known["respond_by"],
        sorted(known["parties"]),
    )
    digest = known.get("digest")  # every field (person, window, details …), not only those stored
    if sent != kept or (digest is not None and digest != request_digest(req)):
        raise Rejected(
            DlqReason.SCHEMA_VIOLATION,
            DlqStage.VALIDATE,
            f"request {req.request_id} was delivered already with other content: a changed request needs "
            "a new request id",
        )


def _answer(
    answer: RequestAnswer,
    topic_region: str,
    requests: Mapping[str, RequestState],
    zone: Zone,
    cat: Catalogue,
    now: datetime,
    received: datetime,
    bounds: TimeBounds,
) -> RequestResult:
    if answer.region != topic_region:
        raise Rejected(
            DlqReason.REGION_MISMATCH,
            DlqStage.VALIDATE,
            f"an answer by region {answer.region} on the requests topic of region {topic_region}",
        )
    state = requests.get(answer.request_id)
    if state is None:
        raise Unresolved(f"answers request {answer.request_id}, which is not known")
    party = state["parties"].get(answer.region)
    if party is None:
        raise Rejected(
            DlqReason.NOT_AUTHORISED,
            DlqStage.VALIDATE,
            f"request {answer.request_id} of {state['requester']} was not addressed to {answer.region}",
        )
    digest, digests = request_digest(answer), party.get("digests", {})
    if answer.answer_id in party["answers"]:
        if digests.get(answer.answer_id, digest) != digest:
            raise Rejected(
                DlqReason.SCHEMA_VIOLATION,
                DlqStage.VALIDATE,
                f"answer {answer.answer_id} was delivered already with other content: a changed answer "
                "needs a new answer id",
            )
        return RequestResult(answer.request_id, None)
    status = next_status(party["status"], answer.status)
    if status is None:
        raise Rejected(
            DlqReason.SCHEMA_VIOLATION,
            DlqStage.VALIDATE,
            f"request {answer.request_id} is {party['status']} by {answer.region}: it cannot be "
            f"{answer.status.value} now",
        )
    problem = _time_problem("at", answer.at, received, bounds.skew_s, bounds.command_age_s)
    delivered = from_epoch(state["delivered_at"])
    if problem is None and answer.at < delivered - timedelta(seconds=bounds.skew_s):
        problem = (  # as an ack: no answer before the question reached the region (times.skew_s)
            f"at {answer.at.isoformat()} is before request {answer.request_id} was delivered to "
            f"{answer.region} ({delivered.isoformat()}), by more than times.skew_s ({bounds.skew_s} s)"
        )
    if problem is not None:
        raise Rejected(DlqReason.IMPLAUSIBLE_TIME, DlqStage.VALIDATE, problem)
    agreement = party["answer_agreement"]
    seals = agreement_seals(zone, party["agreement"], agreement)
    if answer.status == AnswerStatus.ANSWERED:  # results are the region's data: judged at delivery
        consent = request_consent(
            zone, state["requester"], answer.region, Category(state["category"]), state["purpose"], now
        )
        if not consent.allowed:  # refused and audited, as the request would be now
            reason, refused_agreement, side = consent.refusal()
            why = consent.problem or reason.value
            audit = answer_refusal(cat, state, answer, refused_agreement, now, (reason, side, why))
            to = state["requester"]
            raise Refused(f"the answer to request {answer.request_id} may not go to {to} now: {why}", [audit])
        agreement = consent.answer.agreement_id
        seals = seals or consent.request.seal or consent.answer.seal
    keys = answer_keys(zone, state, answer.region, agreement, seals, now)
    if keys is None:
        raise Refused(
            f"the answer to request {answer.request_id} may not go to {state['requester']}: the agreement "
            "says seal and it has no seal key",
            [answer_refusal(cat, state, answer, agreement, now)],
        )
    new_party = PartyState(**party)
    new_party["status"] = status
    new_party["answers"] = [*party["answers"], answer.answer_id]
    new_party["digests"] = {**digests, answer.answer_id: digest}
    if party["received_at"] is None:
        new_party["received_at"] = to_epoch(received)
    if status in FINAL and party["answered_at"] is None:
        new_party["answered_at"] = to_epoch(received)
    new_state = RequestState(**state)
    new_state["parties"] = {**state["parties"], answer.region: new_party}
    outputs = answer_records(cat, answer.request_id, new_state, answer, agreement, now, keys)
    return RequestResult(answer.request_id, new_state, outputs, status, answer.region)
