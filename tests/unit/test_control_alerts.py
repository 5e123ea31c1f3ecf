"""Alert logic: decode and impersonation checks, dedup, Update/Cancel threads, expiry, crash replays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from ops.zone import load_zone_file
from schemas.alerts import Alert
from schemas.codec import encode
from schemas.delivery import alert_subject, delivery_id
from schemas.dlq import DlqReason
from schemas.topics import Catalogue
from streams.control.alerts.logic import AlertResult, expired, priority_of, process_alert
from streams.control.common import Rejected, Unresolved
from tests.unit.models_factories import alert

ZONE = load_zone_file(Path(__file__).resolve().parents[2] / "ops" / "zones" / "chuanyu.yaml")
CAT = Catalogue("t")
NOW = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)  # the factory alert was sent at 00:40 UTC


class Tables:
    """The control app's alert stores as dicts."""

    def __init__(self, zone: Any = ZONE) -> None:
        self.messages: dict[str, Any] = {}
        self.threads: dict[str, Any] = {}
        self.zone = zone

    def run(self, a: Alert | bytes, region: str | None = None, now: datetime = NOW) -> AlertResult:
        raw = a if isinstance(a, bytes) else encode(a)
        region = region or (a.sender_region if isinstance(a, Alert) else "510521")
        result = process_alert(raw, region, zone=self.zone, catalogue=CAT, now=now, messages=self.messages,
                               threads=self.threads)  # fmt: skip
        self.messages.update(result.messages)
        self.threads.update(result.threads)
        return result


def recipients(result: AlertResult) -> list[str]:
    return sorted(o.topic.rsplit(".", 1)[1] for o in result.outputs if o.topic.startswith(CAT.out_prefix))


def update_of(*earlier: Alert, ident: str, msg_type: str = "Update", **over: Any) -> Alert:
    return alert(identifier=ident, msg_type=msg_type, references=[e.as_reference() for e in earlier],
                 sent=earlier[-1].sent + timedelta(minutes=1), **over)  # fmt: skip


def test_an_alert_is_delivered_and_audited_per_recipient() -> None:
    t, a = (
        Tables(),
        alert(),
    )  # 泸县, stolen vehicle, area 泸县: 泸县 itself and 四川 and 四川, which contains it
    result = t.run(a)
    # 泸县 has no agreement with 四川 (refused, audited); its joint-office partner 荣昌 is not in scope
    assert recipients(result) == ["510521"]
    audits = [orjson.loads(o.value) for o in result.outputs if o.topic == CAT.audit and o.value]
    assert {(x["recipient"], x["decision"], x["reason"]) for x in audits} == {
        ("510521", "disclosed", "owner"),
        ("510000", "refused", "no_agreement"),
    }
    out = next(o for o in result.outputs if o.topic == CAT.out("510521"))
    assert out.key.decode() == delivery_id(a.identifier, alert_subject(a.sender_region, a.sender), "510521")


def test_a_resent_alert_changes_nothing() -> None:
    t, a = Tables(), alert()
    t.run(a)
    again = t.run(a)
    assert again.duplicate and not again.outputs


def test_the_sender_region_must_be_the_topics() -> None:
    with pytest.raises(Rejected) as err:
        Tables().run(alert(), region="500000")
    assert err.value.reason == DlqReason.REGION_MISMATCH


def test_bad_bytes_are_rejected_with_the_codec_reason() -> None:
    with pytest.raises(Rejected) as err:
        Tables().run(b"[1, 2]")
    assert err.value.reason == DlqReason.SCHEMA_VIOLATION
    with pytest.raises(Rejected) as err:
        Tables().run(b"\xff")
    assert err.value.reason == DlqReason.INVALID_JSON


def test_update_reaches_earlier_recipients_again_plus_its_own_scope_and_cancel_reaches_all() -> None:
    t = Tables()
    first = alert(sender_region="500000", category="fugitive", target_regions=["510000"], info=[])
    assert recipients(t.run(first)) == ["500000", "510000"]
    update = update_of(first, ident="U-2", sender_region="500000", category="fugitive")  # area 泸县
    assert recipients(t.run(update)) == ["500000", "510000", "510521"]
    cancel = update_of(first, update, ident="C-3", msg_type="Cancel", sender_region="500000",
                       category="fugitive", info=[])  # fmt: skip
    result = t.run(cancel)
    assert recipients(result) == ["500000", "510000", "510521"]
    assert all(
        orjson.loads(o.value)["kind"] == "alert_cancel" for o in result.outputs if o.topic != CAT.audit
    )
    late = update_of(first, ident="U-4", sender_region="500000", category="fugitive")
    with pytest.raises(Rejected, match="cancelled"):
        t.run(late)


def test_a_cancel_goes_under_the_agreement_a_region_first_received_the_thread_under() -> None:
    t = Tables()
    first = alert(sender_region="500000", category="fugitive", target_regions=["510000"], info=[])
    t.run(first)
    (root,) = t.threads
    original = t.threads[root]["recipients"]["510000"][0]
    # a newer agreement, first by id, is the basis of the Update
    newer = next(iter(ZONE.agreements_between("500000", "510000"))).model_copy(
        update={"agreement_id": "0-newer"}
    )
    t.zone = ZONE.model_copy(update={"agreements": (*ZONE.agreements, newer)})
    update = update_of(first, ident="U-2", sender_region="500000", category="fugitive", info=[])
    assert "510000" in recipients(t.run(update))
    cancel = update_of(first, update, ident="C-3", msg_type="Cancel", sender_region="500000",
                       category="fugitive", info=[])  # fmt: skip
    audits = [orjson.loads(o.value) for o in t.run(cancel).outputs if o.topic == CAT.audit]
    (told,) = [a for a in audits if a["recipient"] == "510000"]
    assert told["agreement_id"] == original != "0-newer"


def test_an_unknown_reference_is_unresolved_and_a_wrong_sent_time_is_rejected() -> None:
    t, first = Tables(), alert()
    with pytest.raises(Unresolved):
        t.run(update_of(first, ident="U-1"))
    t.run(first)
    other = first.model_copy(update={"sent": first.sent - timedelta(hours=1)})
    with pytest.raises(Rejected) as err:
        t.run(update_of(other, ident="U-2"))
    assert err.value.reason == DlqReason.UNKNOWN_REFERENCE and not isinstance(err.value, Unresolved)


def test_only_the_originating_region_updates_an_alert() -> None:
    t, first = Tables(), alert()
    t.run(first)
    foreign = alert(identifier="U-9", msg_type="Update", references=[first.as_reference()],
                    sent=first.sent + timedelta(minutes=1), sender_region="500153")  # fmt: skip
    with pytest.raises(Rejected) as err:
        t.run(foreign)
    assert err.value.reason == DlqReason.NOT_AUTHORISED


def test_expired_alerts_are_refused_but_a_cancel_is_not() -> None:
    info = alert().info[0].model_copy(update={"expires": NOW - timedelta(minutes=1)})
    stale = alert(info=[info.model_dump()])
    assert expired(stale, NOW) and not expired(alert(), NOW)
    with pytest.raises(Rejected, match="expired"):
        Tables().run(stale)


def test_a_resent_alert_is_a_duplicate_even_if_today_it_would_reach_more_regions() -> None:
    t, a = Tables(), alert()  # area 泸县: 泸县 itself; 四川, which contains it, has no agreement (refused)
    assert recipients(t.run(a)) == ["510521"]
    # 泸县 (510521) signs an agreement with 四川 (510000) after the alert went out
    template = next(g for g in ZONE.agreements if g.owner == "510521")
    signed = template.model_copy(update={"agreement_id": "lx-sc-new", "recipient": "510000"})
    t.zone = ZONE.model_copy(update={"agreements": (*ZONE.agreements, signed)})
    assert recipients(Tables(t.zone).run(a)) == ["510000", "510521"]  # as a new alert it would reach both
    again = t.run(a)
    assert again.duplicate and again.outputs == [] and again.messages == {} and again.threads == {}


def test_an_unresolved_reference_names_the_message_it_waits_for() -> None:
    first = alert()
    with pytest.raises(Unresolved) as err:
        Tables().run(update_of(first, ident="U-1"))
    assert err.value.waiting_for == f"{first.sender_region} {first.sender} {first.identifier}"


def test_another_region_reusing_a_sender_and_identifier_sends_its_own_message_and_takes_over_nothing() -> (
    None
):
    """A region names its CAP sender freely: reusing another region's sender and identifier must neither
    silence that region's alert as a re-send nor give the two messages one set of delivery ids."""
    t, forged = Tables(), alert(sender_region="500153")
    real = alert()
    assert forged.sender == real.sender and forged.identifier == real.identifier
    first = t.run(forged)
    second = t.run(real)  # read after the forgery, in the same partition
    assert not second.duplicate and recipients(second)
    ids = {o.key for o in first.outputs} & {o.key for o in second.outputs}
    assert not ids, "the two regions' messages share delivery ids"
    foreign = alert(identifier="U-9", msg_type="Cancel", references=[real.as_reference()],
                    sent=real.sent + timedelta(minutes=1), sender_region="500000")  # fmt: skip
    with pytest.raises(Rejected):  # 500000 sent no such message: not its own to cancel
        t.run(foreign)
    cancel = alert(identifier="U-10", msg_type="Cancel", references=[real.as_reference()],
                   sent=real.sent + timedelta(minutes=1))  # fmt: skip
    assert recipients(t.run(cancel))  # the real sender cancels its own, though another used its name first


def test_priority_follows_urgency_and_ack_and_error_messages_are_not_exchanged() -> None:
    assert priority_of(alert()).value == "urgent"
    assert priority_of(alert(info=[])).value == "normal"
    first = alert()
    ack = alert(identifier="A-1", msg_type="Ack", references=[first.as_reference()],
                sent=first.sent + timedelta(minutes=1))  # fmt: skip
    with pytest.raises(Rejected) as err:
        Tables().run(ack)
    assert err.value.reason == DlqReason.SCHEMA_VIOLATION
