"""One alert message in, its deliveries, audit records and state changes out: dedup, Update/Cancel, expiry.

Pure: the caller passes the zone, the clock and the state of the sender region's threads as read-only
mappings; the result says what to produce and what to store. The caller stores the state in the same
transaction as the outputs, so a message the state knows was delivered, whole: seen again, it is a
duplicate and produces nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from schemas.alerts import Alert
from schemas.audit import AuditReason
from schemas.cap import MsgType, Urgency
from schemas.codec import DecodeError, decode
from schemas.disclosure import Disclosure, may_disclose
from schemas.dlq import DlqReason, DlqStage
from schemas.seal_policy import agreement_seals, seal_decisions
from schemas.times import TimeBounds, alert_time_problem
from schemas.topics import Catalogue
from schemas.vocab import Priority
from schemas.zone import Zone
from streams.control.alerts.records import AlertRecords
from streams.control.alerts.routing import route
from streams.control.common import Output, Rejected, Unresolved, to_epoch
from streams.control.state import MessageState, ThreadState, message_key

__all__ = ["AlertResult", "expired", "priority_of", "process_alert"]

_PRIORITY = {
    Urgency.IMMEDIATE: Priority.URGENT,
    Urgency.EXPECTED: Priority.HIGH,
    Urgency.FUTURE: Priority.NORMAL,
}


@dataclass
class AlertResult:
    """What one alert message produces and changes."""

    alert: Alert | None = None
    outputs: list[Output] = field(default_factory=list)
    messages: dict[str, MessageState] = field(default_factory=dict)
    threads: dict[str, ThreadState] = field(default_factory=dict)
    delivered: list[str] = field(default_factory=list)  # recipient regions of the outputs
    refused: list[Disclosure] = field(default_factory=list)
    duplicate: bool = False


def priority_of(alert: Alert) -> Priority:
    """The priority an alert's answers are held to: from the urgency of its first info block."""
    return _PRIORITY.get(alert.info[0].urgency, Priority.LOW) if alert.info else Priority.NORMAL


def expired(alert: Alert, at: datetime) -> bool:
    """True if every info block has expired at ``at`` (an alert without info blocks never expires)."""
    return bool(alert.info) and all(i.expired(at) for i in alert.info)


def _expires(alert: Alert) -> float | None:
    times = [i.expires for i in alert.info if i.expires is not None]
    return to_epoch(max(times)) if times and len(times) == len(alert.info) else None


def _decode(raw: bytes | None, topic_region: str) -> Alert:
    try:
        alert = decode(raw, Alert)
    except DecodeError as exc:
        raise Rejected(exc.reason, DlqStage.DECODE, str(exc)) from None
    if alert.sender_region != topic_region:
        raise Rejected(
            DlqReason.REGION_MISMATCH,
            DlqStage.VALIDATE,
            f"sender_region {alert.sender_region} on the alerts topic of region {topic_region}",
        )
    if alert.msg_type in (MsgType.ACK, MsgType.ERROR):
        raise Rejected(
            DlqReason.SCHEMA_VIOLATION,
            DlqStage.VALIDATE,
            f"CAP msgType {alert.msg_type} is not exchanged on alert topics: "
            "answer deliveries on the acks topic",
        )
    return alert


def _first_use(messages: Mapping[str, MessageState], sender: str, identifier: str) -> MessageState | None:
    """The message of ``sender`` and ``identifier`` as first used (``message_key`` without a region): a
    region's own one stored by a version that kept no region in the key, or another region's (which
    ``_threads_of`` then refuses as not this region's to update); None if nobody used them."""
    return messages.get(message_key(sender, identifier))


def _threads_of(alert: Alert, messages: Mapping[str, MessageState]) -> list[str]:
    """The threads an Update or Cancel refers to; raises ``Unresolved`` or ``Rejected``."""
    roots: list[str] = []
    for ref in alert.references:
        own = message_key(ref.sender, ref.identifier, alert.sender_region)
        seen = messages.get(own) or _first_use(messages, ref.sender, ref.identifier)
        if seen is None:
            raise Unresolved(f"refers to {ref.sender},{ref.identifier}, which is not known", waiting_for=own)
        if abs(seen["sent"] - to_epoch(ref.sent)) > 0.0005:
            raise Rejected(
                DlqReason.UNKNOWN_REFERENCE,
                DlqStage.VALIDATE,
                f"refers to {ref.identifier} sent {ref.sent.isoformat()}, "
                "but that message was sent at another time",
            )
        if seen["region"] != alert.sender_region:
            raise Rejected(
                DlqReason.NOT_AUTHORISED,
                DlqStage.VALIDATE,
                f"refers to {ref.identifier} of region {seen['region']}: "
                "only its sender may update or cancel it",
            )
        if seen["thread"] not in roots:
            roots.append(seen["thread"])
    return roots


def _recipients(
    alert: Alert, zone: Zone, now: datetime, threads: list[ThreadState]
) -> tuple[dict[str, Disclosure], list[Disclosure]]:
    """Who gets ``alert`` (with the basis) and who is refused.

    Agreement validity is judged at disclosure time, ``now``. Whoever received an earlier message of
    the thread hears of an Update too if an agreement allows it now (asked for the purpose it first
    received under), else the refusal is audited; an Update's own scope may add regions. A Cancel
    reaches everyone who received the thread, on the basis they first received under, even after that
    agreement ended: it withdraws what they were told and discloses nothing new.
    """
    owner = alert.sender_region
    chosen: dict[str, Disclosure] = {}
    refused: list[Disclosure] = []
    decided: set[str] = set()
    for thread in threads:
        for region, (agreement, purpose) in thread["recipients"].items():
            if region in decided:
                continue
            decided.add(region)
            if region == owner:
                chosen[region] = Disclosure(region, AuditReason.OWNER)
            elif alert.msg_type == MsgType.CANCEL:
                seal = agreement_seals(zone, agreement)
                chosen[region] = Disclosure(region, AuditReason.AGREEMENT, agreement, purpose, seal=seal)
            else:
                decision = may_disclose(zone, owner, region, alert.category, now, purpose)
                if decision.disclosed:
                    chosen[region] = decision
                else:
                    refused.append(decision)
    if alert.msg_type != MsgType.CANCEL:
        for decision in route(zone, alert, now):
            if decision.recipient in decided:
                continue
            if decision.disclosed:
                chosen[decision.recipient] = decision
            else:
                refused.append(decision)
    return chosen, refused


def process_alert(
    raw: bytes | None,
    topic_region: str,
    *,
    zone: Zone,
    catalogue: Catalogue,
    now: datetime,
    messages: Mapping[str, MessageState],
    threads: Mapping[str, ThreadState],
    received: datetime | None = None,
    bounds: TimeBounds | None = None,
    judge_times: bool = True,
) -> AlertResult:
    """Process one record of ``rax.in.<topic_region>.alerts``; raises ``Rejected`` / ``Unresolved``.

    A message seen before (a re-send) is a duplicate: nothing is produced or changed. Its times are
    judged against ``received`` (when the app took it in; ``now`` if not given) within ``bounds`` (the
    zone's; the defaults if not given), unless ``judge_times`` is False: a parked alert decided again
    was judged when it arrived.
    """
    alert = _decode(raw, topic_region)
    # a message is its region's: another region reusing its sender and identifier sends another message
    key = message_key(alert.sender, alert.identifier, alert.sender_region)
    first = _first_use(messages, alert.sender, alert.identifier)
    if key in messages or (first is not None and first["region"] == alert.sender_region):
        return AlertResult(alert=alert, duplicate=True)
    if alert.msg_type != MsgType.CANCEL and expired(alert, now):
        raise Rejected(
            DlqReason.SCHEMA_VIOLATION,
            DlqStage.VALIDATE,
            f"expired before it could be delivered (every info block expired, now {now.isoformat()})",
        )
    problem = alert_time_problem(alert, bounds or TimeBounds(), received or now) if judge_times else None
    if problem is not None:
        raise Rejected(DlqReason.IMPLAUSIBLE_TIME, DlqStage.VALIDATE, problem)
    roots = _threads_of(alert, messages) if alert.msg_type != MsgType.ALERT else []
    earlier = [threads[r] for r in roots if r in threads]
    if alert.msg_type == MsgType.UPDATE and any(t["cancelled"] for t in earlier):
        raise Rejected(DlqReason.UNKNOWN_REFERENCE, DlqStage.VALIDATE, "updates an alert that was cancelled")
    chosen, refused = _recipients(alert, zone, now, earlier)
    result = AlertResult(alert=alert, refused=refused)
    records = AlertRecords(alert, now)
    delivered: dict[str, Disclosure] = {}
    for decision, seal_key in seal_decisions(zone, (d for _, d in sorted(chosen.items())), now):
        region = decision.recipient
        if not decision.disclosed:  # sealing asked, no key: failed closed
            result.refused.append(decision)
            continue
        did = records.delivery_id(region)
        body, notice = records.delivery(did, decision, seal_key)
        result.outputs.append(Output(catalogue.out(region), did.encode(), body, notice))
        result.outputs.append(Output(catalogue.audit, did.encode(), records.audit(did, decision, seal_key)))
        result.delivered.append(region)
        delivered[region] = decision
    for decision in result.refused:
        did = records.delivery_id(decision.recipient)
        result.outputs.append(Output(catalogue.audit, did.encode(), records.audit(did, decision)))
    recipients = {r: [d.agreement_id, d.purpose] for r, d in sorted(delivered.items())}
    own_root = roots[0] if roots else key
    result.messages[key] = MessageState(
        thread=own_root, sent=to_epoch(alert.sent), region=alert.sender_region, msg_type=alert.msg_type.value
    )
    if first is None:  # the first to use this sender and identifier: named under them alone too
        result.messages[message_key(alert.sender, alert.identifier)] = result.messages[key]
    for root in roots or [key]:
        before = threads.get(root)
        cancel = alert.msg_type == MsgType.CANCEL
        result.threads[root] = ThreadState(
            region=alert.sender_region,
            category=before["category"] if before else alert.category.value,
            cancelled=cancel or bool(before and before["cancelled"]),
            expires=before["expires"] if cancel and before else _expires(alert),
            # a region keeps the basis it first received the thread under (a Cancel goes under it)
            recipients={**recipients, **(before["recipients"] if before else {})},
        )
    return result
