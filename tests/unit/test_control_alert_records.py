"""Records of one alert built once and filled in per recipient equal those built whole by their models."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.audit import AuditReason, AuditRecord, audit_id
from schemas.codec import decode
from schemas.delivery import Delivery, alert_subject, delivery_id, kind_for_alert
from schemas.delivery_notice import DeliveryNotice
from schemas.disclosure import Disclosure
from streams.control.alerts.records import AlertRecords
from tests.unit.models_factories import zone_alert

NOW = datetime.now(UTC)

DISCLOSURES = [
    Disclosure("510521", AuditReason.OWNER),
    Disclosure("500153", AuditReason.AGREEMENT, "joint-office", "investigation"),
    Disclosure("500000", AuditReason.AGREEMENT, "lx-to-cq", "intelligence"),
    Disclosure("510000", AuditReason.NO_AGREEMENT),
    Disclosure("510100", AuditReason.AGREEMENT_NOT_IN_FORCE, "old-one"),
    Disclosure("500101", AuditReason.CATEGORY_NOT_ALLOWED),
    Disclosure("510600", AuditReason.OUT_OF_SCOPE),
]


@pytest.mark.parametrize("order", [1, -1], ids=["owner first", "refusals first"])
def test_every_record_reads_back_equal_to_the_one_its_model_builds(order: int) -> None:
    a = zone_alert("510521", plates=["川A12345"])
    records = AlertRecords(a, NOW)
    for decision in DISCLOSURES[::order]:
        did = records.delivery_id(decision.recipient)
        assert did == delivery_id(a.identifier, alert_subject(a.sender_region, a.sender), decision.recipient)
        audit = AuditRecord(
            audit_id=audit_id(did), delivery_id=did, kind=kind_for_alert(a), recipient=decision.recipient,
            owner=a.sender_region, subject_id=a.identifier, plates=a.plates, decision=decision.decision,
            reason=decision.reason, agreement_id=decision.agreement_id, purpose=decision.purpose, at=NOW,
            source_time=a.sent,
        )  # fmt: skip
        assert decode(records.audit(did, decision), AuditRecord) == audit
        if not decision.disclosed:
            continue
        delivery = Delivery(
            delivery_id=did, recipient=decision.recipient, kind=kind_for_alert(a), owner=a.sender_region,
            alert=a, agreement_id=decision.agreement_id, purpose=decision.purpose, produced_at=NOW,
            source_time=a.sent,
        )  # fmt: skip
        body, notice = records.delivery(did, decision)
        assert decode(body, Delivery) == delivery
        assert decode(notice, DeliveryNotice) == DeliveryNotice.of(delivery)


def test_a_filled_in_audit_record_that_breaks_a_rule_is_refused() -> None:
    a = zone_alert("510521")
    records = AlertRecords(a, NOW)
    records.audit(records.delivery_id("510521"), DISCLOSURES[0])  # the validated one
    did = records.delivery_id("500153")
    with pytest.raises(ValueError, match="names the agreement and purpose"):
        records.audit(did, Disclosure("500153", AuditReason.AGREEMENT))  # no agreement named
    with pytest.raises(ValueError, match="owner only when the recipient is the owner"):
        records.audit(did, Disclosure("500153", AuditReason.OWNER))


def test_a_filled_in_delivery_of_a_new_shape_is_validated_whole() -> None:
    a = zone_alert("510521")
    records = AlertRecords(a, NOW)
    records.delivery(records.delivery_id("500153"), DISCLOSURES[1])
    with pytest.raises(ValueError, match="names its agreement and purpose"):
        records.delivery(records.delivery_id("500000"), Disclosure("500000", AuditReason.AGREEMENT))
