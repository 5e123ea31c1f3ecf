"""Valid example wire records for the model tests: one function per model, overrides by keyword."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.acks import Acknowledgement, BreachStage, DeadlineBreach, breach_id
from schemas.alerts import Alert
from schemas.audit import AuditRecord, audit_id
from schemas.base import WireModel
from schemas.delivery import Delivery, MatchNotice, alert_subject, delivery_id
from schemas.hits import CheckpointHit
from schemas.matching import Match, match_id
from schemas.watchlist import PlaceCommand, WatchlistEntry, WithdrawCommand
from schemas.zone import Zone, ZoneObject

T0 = datetime(2024, 5, 1, 0, 30, tzinfo=UTC)
HIT_ID = "0b6f3c52-93a1-4d0e-8f7a-2c4e5b6a7d81"
ENTRY_ID = "5d1e0c9a-2b7f-4e8a-9c3d-6f4a2b1e0d97"
COMMAND_ID = "8a3f6e21-7c4b-4d19-a2e5-0f9b8c7d6e54"
ACK_ID = "c4e2a1b9-3d5f-4a6e-8b7c-9d0e1f2a3b4c"


def hit_data(**over: Any) -> dict[str, Any]:
    """A checkpoint hit as a JSON-like dict, in English field names."""
    data: dict[str, Any] = {
        "event_id": HIT_ID,
        "checkpoint_id": "510521-KK-0042",
        "region": "510521",
        "plate": "川A12345",
        "plate_type": "02",
        "plate_colour": "blue",
        "pass_time": "2024-05-01T00:30:00Z",
        "direction": "1",
        "lane": 2,
        "speed_kmh": 62.5,
        "confidence": 0.93,
        "image_ref": "img://510521/2024/05/01/0042-2.jpg",
        "source": "checkpoint_csv-1",
    }
    return data | over


def hit(**over: Any) -> CheckpointHit:
    return CheckpointHit.model_validate(hit_data(**over))


def approval_data() -> dict[str, Any]:
    return {
        "unit": "泸县公安局",
        "approver": "张警官 051234",
        "approved_at": "2024-04-30T10:00:00+08:00",
        "reference": "泸公(刑)布字[2024]17号",
    }


def entry_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "entry_id": ENTRY_ID,
        "owner": "510521",
        "operator": "051234",
        "approval": approval_data(),
        "category": "stolen_vehicle",
        "action": "intercept",
        "priority": "urgent",
        "plate": "川A12345",
        "plate_colour": "blue",
        "tolerance": 1,
        "legal_basis": "刑事诉讼法 第一百五十条",
        "scope": ["510000", "500000"],
        "placed_at": "2024-04-30T12:00:00Z",
        "expires_at": "2024-07-30T12:00:00Z",
    }
    return data | over


def entry(**over: Any) -> WatchlistEntry:
    return WatchlistEntry.model_validate(entry_data(**over))


def place(**over: Any) -> PlaceCommand:
    data = {"command_id": COMMAND_ID, "issued_at": "2024-04-30T12:00:01Z", "entry": entry_data()}
    return PlaceCommand.model_validate(data | over)


def withdraw(**over: Any) -> WithdrawCommand:
    data = {
        "command_id": COMMAND_ID,
        "issued_at": "2024-05-02T08:00:00Z",
        "entry_id": ENTRY_ID,
        "owner": "510521",
        "operator": "051234",
        "approval": approval_data(),
        "reason": "vehicle recovered",
    }
    return WithdrawCommand.model_validate(data | over)


def alert_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "identifier": "RAX-510521-2024-0001",
        "sender": "zhihui@510521.police.example",
        "sent": "2024-05-01T08:40:00+08:00",
        "status": "Actual",
        "msg_type": "Alert",
        "scope": "Restricted",
        "restriction": "川渝 member command centres only",
        "info": [
            {
                "categories": ["Security"],
                "event": "被盗车辆",
                "urgency": "Immediate",
                "severity": "Severe",
                "certainty": "Likely",
                "headline": "泸县被盗蓝色小型车",
                "areas": [
                    {
                        "area_desc": "泸县及荣昌区",
                        "geocodes": [{"name": "GB/T 2260", "value": "510521"}],
                        "circles": ["29.15,105.38 20"],
                    }
                ],
            }
        ],
        "sender_region": "510521",
        "category": "stolen_vehicle",
        "action_code": "intercept",
        "handling_code": "H1",
        "plates": ["川A·12345"],
    }
    return data | over


def alert(**over: Any) -> Alert:
    return Alert.model_validate(alert_data(**over))


def zone_alert(region: str, **over: Any) -> Alert:
    """A fresh alert of ``region`` that names no area or target: addressed to the whole zone."""
    data: dict[str, Any] = {
        "identifier": f"RAX-{region}-{uuid.uuid4().hex[:12]}",
        "sender": f"zhihui@{region}.police.example",
        "sent": datetime.now(UTC) - timedelta(seconds=1),
        "status": "Actual",
        "msg_type": "Alert",
        "scope": "Restricted",
        "restriction": "川渝 member command centres only",
        "info": [
            {
                "categories": ["Security"],
                "event": "被盗车辆",
                "urgency": "Immediate",
                "severity": "Severe",
                "certainty": "Likely",
            }
        ],
        "sender_region": region,
        "category": "stolen_vehicle",
        "plates": ["川E12345"],
    }
    return Alert.model_validate(data | over)


def zone_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "川渝",
        "regions": [
            {"code": "510000", "name": "四川省"},
            {"code": "500000"},
            {"code": "510521", "name": "泸县", "checkpoints": ["510521-KK-0042"]},
            {"code": "500153", "name": "荣昌区"},
        ],
        "adjacency": [["510000", "500000"], ["510521", "500153"]],
        "agreements": [
            {
                "agreement_id": "cy-510521-500153",
                "owner": "510521",
                "recipient": "500153",
                "categories": ["stolen_vehicle", "fugitive"],
                "redact": ["image_ref", "speed_kmh"],
                "purposes": ["interception"],
                "valid_from": "2024-01-01T00:00:00+08:00",
            },
            {
                "agreement_id": "cy-510000-500000",
                "owner": "510000",
                "recipient": "500000",
                "categories": ["*"],
                "purposes": ["investigation"],
                "valid_from": "2024-01-01T00:00:00+08:00",
                "valid_until": "2026-01-01T00:00:00+08:00",
            },
        ],
        "subscriptions": [
            {
                "subscription_id": "cq-border-stolen",
                "region": "500000",
                "categories": ["stolen_vehicle"],
                "areas": ["510500"],
                "purpose": "investigation",
            }
        ],
    }
    return data | over


def zone(**over: Any) -> Zone:
    return Zone.model_validate(zone_data(**over))


def zone_object() -> ZoneObject:
    return ZoneObject(revision=3, published_at=T0, published_by="operator-1", zone=zone())


def match(**over: Any) -> Match:
    e, h = entry(), hit()
    data: dict[str, Any] = {
        "match_id": match_id(h.event_id, e.entry_id),
        "hit": h,
        "entry_id": e.entry_id,
        "owner": e.owner,
        "category": e.category,
        "action": e.action,
        "priority": e.priority,
        "kind": "exact",
        "score": 1.0,
        "matched_plate": e.plate,
        "operator": e.operator,
        "legal_basis": e.legal_basis,
        "approval": e.approval,
        "matched_at": T0 + timedelta(milliseconds=40),
    }
    return Match.model_validate(data | over)


def match_delivery(recipient: str = "500153", **over: Any) -> Delivery:
    m = match()
    notice = MatchNotice.from_match(m, ["image_ref", "speed_kmh"])
    data: dict[str, Any] = {
        "delivery_id": delivery_id(m.hit.event_id, m.entry_id, recipient),
        "recipient": recipient,
        "kind": "match",
        "owner": m.owner,
        "match": notice,
        "agreement_id": "cy-510521-500153",
        "purpose": "interception",
        "produced_at": T0 + timedelta(milliseconds=55),
        "source_time": m.hit.pass_time,
    }
    return Delivery.model_validate(data | over)


def alert_delivery(recipient: str = "500153") -> Delivery:
    a = alert()
    return Delivery(
        delivery_id=delivery_id(a.identifier, alert_subject(a.sender_region, a.sender), recipient),
        recipient=recipient,
        kind="alert",  # type: ignore[arg-type]
        owner=a.sender_region,
        alert=a,
        agreement_id="cy-510521-500153",
        purpose="interception",
        produced_at=T0,
        source_time=a.sent,
    )


def breach() -> DeadlineBreach:
    breached = match_delivery().delivery_id
    return DeadlineBreach(
        breach_id=breach_id(breached, BreachStage.ACKNOWLEDGE),
        delivery_id=breached,
        region="500153",
        owner="510521",
        subject_id=ENTRY_ID,
        priority="urgent",  # type: ignore[arg-type]
        stage=BreachStage.ACKNOWLEDGE,
        due_at=T0 + timedelta(minutes=10),
        detected_at=T0 + timedelta(minutes=10, seconds=2),
    )


def breach_delivery() -> Delivery:
    b = breach()
    return Delivery(
        delivery_id=delivery_id(b.breach_id, b.delivery_id, b.owner),
        recipient=b.owner,
        kind="deadline_breach",  # type: ignore[arg-type]
        owner=b.owner,
        breach=b,
        produced_at=b.detected_at,
        source_time=b.detected_at,
    )


def audit_record(**over: Any) -> AuditRecord:
    d = match_delivery()
    data: dict[str, Any] = {
        "audit_id": audit_id(d.delivery_id),
        "delivery_id": d.delivery_id,
        "kind": "match",
        "recipient": d.recipient,
        "owner": d.owner,
        "subject_id": ENTRY_ID,
        "plates": ["川A12345"],
        "hit_region": "510521",
        "decision": "disclosed",
        "reason": "agreement",
        "agreement_id": d.agreement_id,
        "purpose": d.purpose,
        "redacted": ["image_ref", "speed_kmh"],
        "at": d.produced_at,
        "source_time": d.source_time,
    }
    return AuditRecord.model_validate(data | over)


def ack(**over: Any) -> Acknowledgement:
    data: dict[str, Any] = {
        "ack_id": ACK_ID,
        "delivery_id": match_delivery().delivery_id,
        "region": "500153",
        "outcome": "intercepted",
        "at": "2024-05-01T09:02:00+08:00",
        "operator": "500153-0815",
        "note": "stopped at 荣昌 toll gate",
    }
    return Acknowledgement.model_validate(data | over)


def every_wire_record() -> dict[str, WireModel]:
    """One valid instance of every wire model (both watchlist commands, every delivery kind)."""
    return {
        "acknowledgement": ack(),
        "alert": alert(),
        "audit_record": audit_record(),
        "checkpoint_hit": hit(),
        "deadline_breach": breach(),
        "delivery_match": match_delivery(),
        "delivery_alert": alert_delivery(),
        "delivery_breach": breach_delivery(),
        "match": match(),
        "place_command": place(),
        "withdraw_command": withdraw(),
        "watchlist_entry": entry(),
        "zone": zone(),
        "zone_object": zone_object(),
    }
