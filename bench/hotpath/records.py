"""The records the benchmark sends: checkpoint-hit JSON bytes and the watchlist entry template."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import orjson

from schemas.codec import encode
from schemas.vocab import Action, Category, PlateColour, Priority
from schemas.watchlist import Approval, WatchlistEntry

PLATE_TYPE = {"blue": "02", "yellow": "01", "green": "52", "white": "23", "black": "26"}
JSON_Z = orjson.OPT_UTC_Z


def hit_record(
    event_id: str, region: str, checkpoint: str, plate: str, colour: str, t: datetime, r: float = 0.5
) -> bytes:
    """A checkpoint hit's JSON bytes, built cheaply (no model); ``r`` in [0, 1) varies lane, speed …"""
    return orjson.dumps(
        {
            "event_id": event_id,
            "checkpoint_id": checkpoint,
            "region": region,
            "plate": plate,
            "plate_type": PLATE_TYPE[colour],
            "plate_colour": colour,
            "pass_time": t,
            "direction": "1" if r < 0.5 else "2",
            "lane": 1 + int(r * 4),
            "speed_kmh": round(20 + 90 * r, 1),
            "confidence": round(0.8 + 0.2 * r, 3),
            "image_ref": f"img://{region}/{checkpoint}/{event_id}.jpg",
            "source": "bench-connector",
        },
        option=JSON_Z,
    )


def entry_template(now: datetime) -> dict[str, Any]:
    """One valid entry as a dict: the generator substitutes its fields and dumps it with orjson."""
    model = WatchlistEntry(
        entry_id=str(uuid.UUID(int=1, version=4)),
        owner="510000",
        operator="510000-0001",
        approval=Approval(
            unit="四川省公安厅刑侦总队",
            approver="王警官 010001",
            approved_at=now - timedelta(days=2),
            reference="川公(刑)布字[2025]1号",
        ),
        category=Category.STOLEN_VEHICLE,
        action=Action.INTERCEPT,
        priority=Priority.HIGH,
        plate="川A12345",
        plate_colour=PlateColour.BLUE,
        tolerance=0,
        legal_basis="中华人民共和国刑事诉讼法 第一百五十条",
        description="白色 大众朗逸, 左前灯破损",
        placed_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=365),
    )
    template: dict[str, Any] = orjson.loads(encode(model))
    return template
