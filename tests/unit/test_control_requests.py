"""Cooperation requests in the control app without a broker: consent, the thread, impersonation, deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from ops.demo.requests import demo_answers, demo_request
from ops.zone import load_zone_file
from schemas.codec import encode
from schemas.dlq import parse_dlq_headers
from schemas.requests import AnswerStatus, CooperationRequest, RequestAnswer
from streams.control.config import DeadlinePolicy, RetentionPolicy
from streams.control.requests.consent import request_consent
from streams.control.requests.deadlines import request_due_items
from streams.control.requests.logic import next_status
from tests.support.control_harness import Harness
from tests.support.requests import answer, request

ZONE = load_zone_file(Path(__file__).resolve().parents[2] / "ops" / "zones" / "chuanyu.yaml")
LX, RC, SC, CQ, AJ = "510521", "500153", "510000", "500000", "510904"  # 泸县 荣昌 四川 重庆 安居


def send(h: Harness, message: CooperationRequest | RequestAnswer, on: str | None = None) -> None:
    region = on or (message.requester if isinstance(message, CooperationRequest) else message.region)
    h.send(h.cat.in_requests(region), message.request_id.encode(), encode(message))


def delivered(h: Harness, region: str) -> list[dict[str, Any]]:
    return [orjson.loads(o.value) for o in h.out(h.cat.out(region)) if o.value]


def audits(h: Harness) -> list[dict[str, Any]]:
    return [orjson.loads(o.value) for o in h.out(h.cat.audit) if o.value]


def letters(h: Harness) -> list[tuple[str, str]]:
    out = []
    for o in h.out(h.cat.dlq("control")):
        d = parse_dlq_headers(o.headers or [])
        out.append((d.reason.value, d.error or ""))
    return out


# ---- pure rules ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("now", "answer_status", "then"),
    [
        ("pending", AnswerStatus.ACCEPTED, "accepted"),
        ("pending", AnswerStatus.ANSWERED, "answered"),
        ("pending", AnswerStatus.DECLINED, "declined"),
        ("accepted", AnswerStatus.ANSWERED, "answered"),
        ("accepted", AnswerStatus.DECLINED, "declined"),
        ("accepted", AnswerStatus.ACCEPTED, None),
        ("answered", AnswerStatus.ANSWERED, "answered"),
        ("answered", AnswerStatus.DECLINED, None),
        ("declined", AnswerStatus.ANSWERED, None),
        ("declined", AnswerStatus.ACCEPTED, None),
    ],
)
def test_the_thread_moves_only_forward(now: str, answer_status: AnswerStatus, then: str | None) -> None:
    assert next_status(now, answer_status) == then


def test_consent_needs_both_agreements_and_the_stated_purpose() -> None:
    at = datetime.now(UTC)
    assert request_consent(ZONE, LX, RC, "stolen_vehicle", "investigation", at).allowed  # type: ignore[arg-type]
    none = request_consent(ZONE, AJ, "500152", "stolen_vehicle", "investigation", at)  # type: ignore[arg-type]
    assert not none.allowed and none.refusal()[0].value == "no_agreement"
    # 泸县 → 重庆 lists investigation, but 重庆 → 泸县 (its answers) only interception
    purpose = request_consent(ZONE, LX, CQ, "stolen_vehicle", "investigation", at)  # type: ignore[arg-type]
    reason, agreement, side = purpose.refusal()
    assert (reason.value, agreement, side.value) == ("purpose_not_allowed", "cq-to-lx", "read")
    assert request_consent(ZONE, LX, CQ, "stolen_vehicle", "interception", at).allowed  # type: ignore[arg-type]


def test_a_recipient_owes_an_acknowledgement_by_policy_and_a_final_answer_by_respond_by() -> None:
    h = Harness(ZONE)
    req = request(
        LX, RC, priority="urgent", kind="intercept", respond_by=datetime.now(UTC) + timedelta(hours=3)
    )
    send(h, req)
    state = h.store("requests")[req.request_id]
    items = sorted(request_due_items(DeadlinePolicy(), req.request_id, state))
    delivered_at = state["delivered_at"]
    assert [(round(due - delivered_at), stage) for due, _, stage in items] == [
        (600, "acknowledge"),  # intercept:urgent, as for a match
        (round(state["respond_by"] - delivered_at), "outcome"),
    ]
    short = request(LX, RC, respond_by=datetime.now(UTC) + timedelta(seconds=90))
    send(h, short)
    dues = request_due_items(DeadlinePolicy(), short.request_id, h.store("requests")[short.request_id])
    assert {stage: round(due) for due, _, stage in dues} == {
        "acknowledge": round(h.store("requests")[short.request_id]["respond_by"]),  # never after respond_by
        "outcome": round(h.store("requests")[short.request_id]["respond_by"]),
    }


# ---- the processor ------------------------------------------------------------------------------
def test_a_thread_send_accept_answer_reaches_the_parties_and_is_audited() -> None:
    h = Harness(ZONE)
    req = request(LX, RC, CQ, category="fugitive", purpose="interception")
    send(h, req)
    to_rc = [d for d in delivered(h, RC) if d["kind"] == "request"]
    assert len(to_rc) == 1 and to_rc[0]["request"]["request_id"] == req.request_id
    assert to_rc[0]["agreement_id"] == "lx-rc-joint-office" and to_rc[0]["purpose"] == "interception"
    assert [d["kind"] for d in delivered(h, LX)] == ["request"]  # the requester's own copy
    assert [d["kind"] for d in delivered(h, CQ)] == ["request"]
    disclosed = [a for a in audits(h) if a["kind"] == "request"]
    assert sorted(a["recipient"] for a in disclosed) == [CQ, RC, LX]
    assert all(a["plates"] == ["川E12345"] and a["subject_id"] == req.request_id for a in disclosed)

    send(h, answer(req, RC, "accepted"))
    result = answer(req, RC, "answered")
    send(h, result)
    send(h, result)  # re-sent: changes nothing
    thread = [d for d in delivered(h, LX) if d["kind"] == "request_answer"]
    assert [d["answer"]["status"] for d in thread] == ["accepted", "answered"]
    assert thread[1]["answer"]["attachments"][0]["sha256"] == "0" * 64
    assert thread[1]["agreement_id"] == "rc-lx-joint-office" and thread[1]["owner"] == RC
    assert [d["answer"]["status"] for d in delivered(h, RC) if d["kind"] == "request_answer"] == [
        "accepted",
        "answered",
    ]  # the answering region's receipts
    acts = [a for a in audits(h) if a.get("act")]
    assert [(a["act"], a["actor"], a["recipient"], a["owner"]) for a in acts] == [
        ("accepted", f"{RC}-0007", LX, RC),
        ("answered", f"{RC}-0007", LX, RC),
    ]
    party = h.store("requests")[req.request_id]["parties"][RC]
    assert party["status"] == "answered" and len(party["answers"]) == 2
    send(h, answer(req, CQ, "declined"))
    assert h.store("requests")[req.request_id]["parties"][CQ]["status"] == "declined"
    assert not letters(h)
    assert h.registry.get_sample_value("rax_control_requests_total", {"region": RC, "op": "answered"}) == 1


def test_a_request_to_a_region_without_agreement_is_refused_whole_and_audited() -> None:
    h = Harness(ZONE)
    req = request(LX, RC, AJ)
    send(h, req)
    assert letters(h)[0][0] == "not_authorised" and AJ in letters(h)[0][1]
    assert not delivered(h, RC) and not delivered(h, AJ) and not delivered(h, LX)
    refused = [a for a in audits(h) if a["decision"] == "refused"]
    assert [(a["recipient"], a["reason"]) for a in refused] == [(AJ, "no_agreement")]
    assert req.request_id not in h.store("requests")


def test_impersonation_strangers_and_broken_threads_are_dead_lettered() -> None:
    h = Harness(ZONE)
    req = request(LX, RC)
    send(h, req, on=RC)  # 荣昌 publishing a request as 泸县
    send(h, req)
    send(h, answer(req, RC, "accepted"), on=LX)  # 泸县 answering as 荣昌
    send(h, answer(req, SC, "accepted"))  # not addressed to 四川
    send(h, answer(request(LX, RC), RC, "accepted"))  # a request nobody sent
    send(h, answer(req, RC, "declined"))
    send(h, answer(req, RC, "answered"))  # after the decline
    h.send(h.cat.in_requests(RC), b"other-key", encode(answer(req, RC, "accepted")))
    h.send(h.cat.in_requests(RC), req.request_id.encode(), b"{not json")
    assert [reason for reason, _ in letters(h)] == [
        "region_mismatch",
        "region_mismatch",
        "not_authorised",
        "unknown_reference",
        "schema_violation",
        "schema_violation",
        "invalid_json",
    ]
    assert "declined" in letters(h)[4][1]
    statuses = [d["answer"]["status"] for d in delivered(h, LX) if d["kind"] == "request_answer"]
    assert statuses == ["declined"]


def test_a_request_id_is_its_requesters_and_names_one_request() -> None:
    h = Harness(ZONE)
    req = request(LX, RC)
    send(h, req)
    send(h, req)  # sent again as it was (a connector's retry): once, silently
    # 荣昌 using 泸县's id for a request of its own: its deadline would be judged as 泸县's
    send(h, request(RC, LX, request_id=req.request_id, respond_by=datetime.now(UTC) + timedelta(seconds=60)))
    send(h, request(LX, RC, CQ, request_id=req.request_id))  # 泸县 changing whom it asked
    assert [reason for reason, _ in letters(h)] == ["not_authorised", "schema_violation"]
    assert f"request id {req.request_id} is a request of region {LX}" in letters(h)[0][1]
    assert "delivered already with other content" in letters(h)[1][1]
    assert [d["kind"] for d in delivered(h, RC)] == ["request"] and not delivered(h, CQ)
    kept = h.store("requests")[req.request_id]
    assert kept["requester"] == LX and sorted(kept["parties"]) == [RC]


@pytest.mark.parametrize(
    "change",
    [
        {"person": "another person"},
        {"legal_basis": "another approval"},
        {"details": "now a red saloon"},
        {"checkpoint_id": "500153-K0002"},
        {"window_from": datetime(2026, 1, 1, 9, tzinfo=UTC)},
        {"operator": "510521-0099"},
    ],
)
def test_a_request_changed_in_any_field_is_refused_not_dropped(change: dict[str, Any]) -> None:
    h = Harness(ZONE)
    window = {
        "window_from": datetime(2026, 1, 1, 8, tzinfo=UTC),
        "window_to": datetime(2026, 1, 1, 10, tzinfo=UTC),
    }
    req = request(LX, RC, kind="checkpoint_reads", person="a person", checkpoint_id="500153-K0001", **window)
    send(h, req)
    send(h, req.model_copy(update=change))  # the recipient would never see the change
    ((reason, error),) = letters(h)
    assert reason == "schema_violation" and "delivered already with other content" in error


def test_an_answer_id_sent_again_with_other_content_is_refused_not_dropped() -> None:
    h = Harness(ZONE)
    req = request(LX, RC)
    send(h, req)
    accepted = answer(req, RC, "accepted")
    send(h, accepted)
    send(h, accepted)  # a retry: once, silently
    send(h, accepted.model_copy(update={"status": AnswerStatus.DECLINED, "reason": "no checkpoint there"}))
    ((reason, error),) = letters(h)  # the decline never reached the requester, and nobody was told
    assert reason == "schema_violation" and "a changed answer needs a new answer id" in error
    statuses = [d["answer"]["status"] for d in delivered(h, LX) if d["kind"] == "request_answer"]
    assert statuses == ["accepted"]


def test_an_answer_dated_before_its_request_reached_the_region_is_implausible() -> None:
    h = Harness(ZONE)
    req = request(LX, RC)
    send(h, req)
    send(h, answer(req, RC, "accepted", at=datetime.now(UTC) - timedelta(days=1)))
    ((reason, error),) = letters(h)
    assert reason == "implausible_time" and f"is before request {req.request_id} was delivered" in error
    send(h, answer(req, RC, "accepted"))  # dated now: taken
    assert h.store("requests")[req.request_id]["parties"][RC]["status"] == "accepted"


def test_results_the_agreement_no_longer_allows_are_refused_and_the_refusal_audited() -> None:
    h = Harness(ZONE)
    req = request(LX, RC)
    send(h, req)
    ended = datetime.now(UTC) - timedelta(minutes=1)
    agreements = tuple(
        a.model_copy(update={"valid_until": ended}) if a.agreement_id == "rc-lx-joint-office" else a
        for a in ZONE.agreements
    )
    h.zone = h.zone.model_copy(
        update={"revision": 2, "zone": ZONE.model_copy(update={"agreements": agreements})}
    )
    h.processor.zone.apply(None, encode(h.zone))
    send(h, answer(req, RC, "answered"))
    ((reason, error),) = letters(h)
    assert reason == "not_authorised" and f"may not go to {LX} now" in error
    (refusal,) = [a for a in audits(h) if a["kind"] == "request_answer"]
    assert (refusal["decision"], refusal["recipient"], refusal["owner"]) == ("refused", LX, RC)
    assert refusal["refused_by"] == "read" and refusal["detail"].startswith("answered: ")
    assert not [d for d in delivered(h, LX) if d["kind"] == "request_answer"]


def test_a_silent_recipient_breaches_once_and_the_thread_survives_a_restart() -> None:
    h = Harness(ZONE)
    req = request(LX, RC, CQ, category="fugitive", purpose="interception", priority="low")
    send(h, req)
    send(h, answer(req, CQ, "accepted"))
    h.restart()  # a new processor: the thread and its deadlines come back from the changelog
    h.tick(h.now + 3601)  # the acknowledgement is due after an hour (and respond_by is an hour)

    def breaches() -> list[tuple[str, str]]:
        out = [d["breach"] for d in delivered(h, LX) if d["kind"] == "deadline_breach"]
        return sorted((b["region"], b["stage"]) for b in out)

    assert breaches() == [(CQ, "outcome"), (RC, "acknowledge"), (RC, "outcome")]
    h.restart()
    h.tick(h.now + 60)
    assert len(breaches()) == 3  # raised once, across restarts
    send(h, answer(req, RC, "answered"))  # late, but still taken
    assert h.store("requests")[req.request_id]["parties"][RC]["status"] == "answered"
    audited = [a for a in audits(h) if a["kind"] == "deadline_breach"]
    assert len(audited) == 3 and all(a["subject_id"] == req.request_id for a in audited)


def test_a_request_is_forgotten_long_after_its_deadline_and_an_answer_then_is_unknown() -> None:
    h = Harness(ZONE, retention=RetentionPolicy(deliveries_s=60, every_s=1))
    req = request(LX, RC)
    send(h, req)
    h.tick(h.now + 3600 + 30)  # past respond_by, within the retention
    assert req.request_id in h.store("requests")
    h.tick(h.now + 3600 + 61)
    assert req.request_id not in h.store("requests")
    send(h, answer(req, RC, "accepted"))
    assert letters(h)[-1][0] == "unknown_reference"


def test_the_demos_request_is_answered_by_one_partner_and_declined_by_the_other() -> None:
    h = Harness(ZONE)
    req = demo_request("川E12345")
    send(h, req)
    for reply in demo_answers(req):
        send(h, reply)
    parties = h.store("requests")[req.request_id]["parties"]
    assert {r: p["status"] for r, p in parties.items()} == {RC: "answered", CQ: "declined"}
    assert not letters(h)
