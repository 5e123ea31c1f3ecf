"""Alerts signed end to end: the issuing region's signature survives the exchange and tells who issued it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from ops.centre.tail import summarise
from schemas.alert_signatures import alert_content, sign_alert, verify_alert
from schemas.alerts import Alert
from schemas.audit import AuditReason
from schemas.codec import decode, encode
from schemas.crypto import generate_private, public_record, sign
from schemas.crypto.batches import BATCH_CONTEXT
from schemas.delivery import Delivery
from schemas.disclosure import Disclosure
from schemas.keys import KeyPurpose, RegionKey
from streams.control.alerts.records import AlertRecords
from tests.unit.models_factories import zone_alert

REGION = "510521"
DAY = timedelta(days=1)


def _key(region: str = REGION, **validity: Any) -> tuple[Any, RegionKey]:
    private = generate_private(KeyPurpose.SIGN)
    start = validity.pop("start", datetime.now(UTC) - 30 * DAY)
    return private, public_record(region, private, start, validity.pop("until", None))


def test_a_signed_alert_verifies_after_a_round_trip_and_names_its_issuer() -> None:
    private, record = _key()
    signed = sign_alert(zone_alert(REGION), private)
    again = decode(encode(signed), Alert)
    assert again == signed
    verdict = verify_alert(again, [record])
    assert (verdict.status, verdict.signed_by, verdict.key_id) == ("valid", REGION, record.key_id)
    assert b"region_signature" not in alert_content(again)


def test_a_changed_alert_another_regions_key_and_an_unsigned_alert_are_told_apart() -> None:
    private, record = _key()
    signed = sign_alert(zone_alert(REGION, plates=["川A12345"]), private)
    changed = signed.model_copy(update={"plates": ("川A54321",)})
    assert verify_alert(changed, [record]).status == "invalid"
    assert "changed" in verify_alert(changed, [record]).reason
    other, other_record = _key(region="500153")
    as_other = sign_alert(zone_alert(REGION), other, region="500153")  # a partner signs in REGION's name
    assert verify_alert(as_other, [record, other_record]).status == "invalid"
    claimed = sign_alert(zone_alert(REGION), other)  # claims REGION with a key REGION does not hold
    assert "not a sign key of 510521" in verify_alert(claimed, [record, other_record]).reason
    assert verify_alert(zone_alert(REGION), [record]).status == "absent"


def test_the_key_must_have_been_valid_when_the_alert_was_signed() -> None:
    ended = datetime.now(UTC) - 2 * DAY
    private, record = _key(start=ended - 30 * DAY, until=ended)
    late = sign_alert(zone_alert(REGION), private)  # signed now, after the key ended
    assert "valid when the alert was signed" in verify_alert(late, [record]).reason
    early = sign_alert(zone_alert(REGION), private, now=ended - DAY)
    assert verify_alert(early, [record]).status == "valid"
    sig = early.region_signature
    assert sig is not None  # the signing time is signed: moving it into the key's validity breaks it
    moved = sig.model_copy(update={"signed_at": ended - 2 * DAY})
    assert verify_alert(early.model_copy(update={"region_signature": moved}), [record]).status == "invalid"


def test_a_batch_signature_never_passes_for_an_alert_signature() -> None:
    private, record = _key()
    a = zone_alert(REGION)
    forged = sign_alert(a, private)
    value = sign(private, BATCH_CONTEXT, alert_content(a))  # the content signed as a batch
    sig = forged.region_signature
    assert sig is not None
    swapped = sig.model_copy(update={"value": base64.urlsafe_b64encode(value).rstrip(b"=").decode()})
    assert verify_alert(forged.model_copy(update={"region_signature": swapped}), [record]).status == "invalid"


def test_the_control_apps_deliveries_carry_the_signature_and_the_tail_shows_it() -> None:
    private, record = _key()
    signed = sign_alert(zone_alert(REGION), private)
    records = AlertRecords(signed, datetime.now(UTC))
    for recipient in ("500153", "500000"):  # the first built by its model, the second from the template
        did = records.delivery_id(recipient)
        body, _ = records.delivery(did, Disclosure(recipient, AuditReason.AGREEMENT, "a", "investigation"))
        delivery = decode(body, Delivery)
        assert delivery.alert is not None and delivery.alert.region_signature == signed.region_signature
        row = summarise(delivery, [record])
        assert (row["signature"], row["signed_by"]) == ("valid", REGION)
        assert summarise(delivery)["signature"] == "unchecked"
        changed = delivery.model_copy(
            update={"alert": delivery.alert.model_copy(update={"plates": ("川A00000",)})}
        )
        assert summarise(changed, [record])["signature"] == "invalid"
