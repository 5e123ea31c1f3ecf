"""Matches, deliveries, redaction, audit records, acknowledgements and deadline breaches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.acks import BreachStage, DeadlineBreach, breach_id
from schemas.audit import AuditRecord
from schemas.delivery import Delivery, DeliveryKind, MatchNotice, delivery_id, kind_for_alert
from schemas.matching import Match, MatchKind, match_id
from schemas.sharing import RedactField
from tests.unit.models_factories import (
    ENTRY_ID,
    HIT_ID,
    T0,
    ack,
    alert,
    alert_delivery,
    audit_record,
    breach,
    breach_delivery,
    hit,
    match,
    match_delivery,
)

_ids = st.uuids().map(str)
_regions = st.sampled_from(["510000", "500000", "510521", "500153", "440300"])


@given(source=_ids, subject=_ids, a=_regions, b=_regions)
def test_delivery_id_is_deterministic_and_distinct_per_recipient(
    source: str, subject: str, a: str, b: str
) -> None:
    assert delivery_id(source, subject, a) == delivery_id(source, subject, a)
    assert (delivery_id(source, subject, a) == delivery_id(source, subject, b)) == (a == b)
    assert len(delivery_id(source, subject, a)) == 32


def test_delivery_id_is_the_documented_digest() -> None:
    import hashlib

    expected = hashlib.sha256(f"{HIT_ID}\x1f{ENTRY_ID}\x1f500153".encode()).hexdigest()[:32]
    assert delivery_id(HIT_ID, ENTRY_ID, "500153") == expected
    assert delivery_id(HIT_ID, ENTRY_ID, "500153") != delivery_id(ENTRY_ID, HIT_ID, "500153")


def test_match_id_is_checked() -> None:
    assert match().match_id == match_id(HIT_ID, ENTRY_ID)
    with pytest.raises(ValidationError, match="match_id"):
        match(match_id="0" * 32)


def test_match_kind_must_agree_with_how_it_matched() -> None:
    with pytest.raises(ValidationError, match="exact needs"):
        match(matched_plate="川A12346")
    with pytest.raises(ValidationError, match="exact match scores 1"):
        match(score=0.9)
    with pytest.raises(ValidationError, match="partial exactly when"):
        match(kind="partial", score=0.6)
    misread = match(kind="misread", score=0.8, edits=1, matched_plate="川A1234S")
    assert misread.kind is MatchKind.MISREAD
    partial = match(kind="partial", score=0.5, matched_plate="川A?23*")
    assert partial.hit_region == "510521"


def test_notice_redacts_exactly_the_agreed_fields() -> None:
    m = match()
    full = MatchNotice.from_match(m)
    assert full.redacted == () and full.image_ref == m.hit.image_ref and full.approval == m.approval
    redact = [RedactField.IMAGE_REF, RedactField.APPROVAL, RedactField.CHECKPOINT_ID]
    notice = MatchNotice.from_match(m, redact)
    assert notice.redacted == tuple(sorted(redact))
    assert notice.image_ref is None and notice.approval is None and notice.checkpoint_id is None
    assert notice.lane == m.hit.lane and notice.operator == m.operator and notice.plate == m.hit.plate


@pytest.mark.parametrize("field", list(RedactField))
def test_every_redactable_field_can_be_removed(field: RedactField) -> None:
    m = match(description="white SUV, roof box", hit=hit(plate="川A·12345"))
    assert getattr(MatchNotice.from_match(m), field.value) is not None, "factory must fill every field"
    assert getattr(MatchNotice.from_match(m, [field]), field.value) is None


def test_a_notice_cannot_claim_a_redaction_it_did_not_make() -> None:
    data = MatchNotice.from_match(match()).model_dump() | {"redacted": ["image_ref"]}
    with pytest.raises(ValidationError, match="still carry values"):
        MatchNotice.model_validate(data)


def test_delivery_kind_and_payload_must_agree() -> None:
    assert match_delivery().kind is DeliveryKind.MATCH
    assert alert_delivery().kind is DeliveryKind.ALERT
    assert breach_delivery().kind is DeliveryKind.DEADLINE_BREACH
    with pytest.raises(ValidationError, match="carries exactly `alert`"):
        match_delivery(kind="alert")
    with pytest.raises(ValidationError, match="carries exactly `match`, got alert, match"):
        match_delivery(alert=alert())


def test_alert_delivery_kind_follows_msg_type() -> None:
    ref = "a@x,ID-1,2024-05-01T07:00:00+08:00"
    assert kind_for_alert(alert(msg_type="Update", references=ref)) is DeliveryKind.ALERT_UPDATE
    assert kind_for_alert(alert(msg_type="Cancel", references=ref)) is DeliveryKind.ALERT_CANCEL
    assert kind_for_alert(alert(msg_type="Ack", references=ref)) is DeliveryKind.ALERT
    data: dict[str, Any] = alert_delivery().model_dump() | {"kind": "alert_cancel"}
    with pytest.raises(ValidationError, match="is alert"):
        Delivery.model_validate(data)


def test_delivery_id_must_be_the_one_its_payload_determines() -> None:
    with pytest.raises(ValidationError, match="delivery_id: must be"):
        match_delivery(delivery_id="f" * 32)
    other = match_delivery(recipient="500000", agreement_id="cy-510000-500000", purpose="investigation")
    assert other.delivery_id != match_delivery().delivery_id


def test_disclosure_to_another_region_names_its_agreement() -> None:
    with pytest.raises(ValidationError, match="agreement"):
        match_delivery(agreement_id=None)
    with pytest.raises(ValidationError, match="agreement"):
        match_delivery(purpose=None)
    own = match_delivery(recipient="510521", agreement_id=None, purpose=None)
    assert own.recipient == own.owner


def test_audit_record_rules() -> None:
    assert audit_record().reason == "agreement"
    with pytest.raises(ValidationError, match="audit_id"):
        audit_record(audit_id="0" * 32)
    with pytest.raises(ValidationError, match="does not go with"):
        audit_record(decision="refused")
    with pytest.raises(ValidationError, match="names the agreement"):
        audit_record(agreement_id=None)
    with pytest.raises(ValidationError, match="owner only"):
        audit_record(reason="owner")
    refused = audit_record(
        decision="refused", reason="no_agreement", agreement_id=None, purpose=None, redacted=[]
    )
    assert isinstance(refused, AuditRecord)


def test_acknowledgement_outcomes() -> None:
    assert ack().outcome == "intercepted"
    with pytest.raises(ValidationError) as info:
        ack(outcome="maybe")
    assert info.value.errors()[0]["loc"] == ("outcome",)
    with pytest.raises(ValidationError) as info:
        ack(delivery_id="not-a-digest")
    assert info.value.errors()[0]["loc"] == ("delivery_id",)


def test_breach_id_and_times_are_checked() -> None:
    b = breach()
    assert b.breach_id == breach_id(b.delivery_id, BreachStage.ACKNOWLEDGE)
    assert breach_id(b.delivery_id, BreachStage.OUTCOME) != b.breach_id
    data = b.model_dump() | {"detected_at": b.due_at - timedelta(seconds=1)}
    with pytest.raises(ValidationError) as info:
        DeadlineBreach.model_validate(data)
    assert info.value.errors()[0]["loc"] == ("detected_at",)
    with pytest.raises(ValidationError, match="breach_id"):
        DeadlineBreach.model_validate(b.model_dump() | {"stage": "outcome"})


def test_match_carries_the_full_hit() -> None:
    m = match()
    assert m.hit == hit()
    assert isinstance(m, Match) and m.matched_at > T0
