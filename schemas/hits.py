"""The checkpoint hit (过车记录): one plate read at one checkpoint lane, on ``rax.in.<region>.hits``."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, model_validator

from schemas.base import EventId, ShortText, UtcDatetime, WireModel
from schemas.fields import CheckpointTime, PlateText, PlateTypeCode, RegionCode, normalised_plate_text
from schemas.plates import PlateError
from schemas.vocab import ColourField

__all__ = ["CHINESE_FIELD_NAMES", "CheckpointHit"]

#: English field name -> the field name Chinese checkpoint platforms use (accepted on input).
CHINESE_FIELD_NAMES = {
    "checkpoint_id": "kkbh",
    "region": "xzqh",
    "plate": "hphm",
    "plate_type": "hpzl",
    "plate_colour": "hpys",
    "pass_time": "gcsj",
    "direction": "fxlx",
    "lane": "cdbh",
    "speed_kmh": "clsd",
}


def _alias(name: str) -> AliasChoices:
    return AliasChoices(name, CHINESE_FIELD_NAMES[name])


class CheckpointHit(WireModel):
    """One plate read at one checkpoint lane.

    Built by a connector from its source record and never changed afterwards. ``plate`` always holds the
    normalised plate; when the reader's text differed from it and ``plate_read`` was not given, the
    original text is kept in ``plate_read`` so a person can see what the camera actually read.

    A record whose plate cannot be normalised (unread plates such as 无牌 / 未识别) is not a hit: it can
    match nothing, and decoding it fails with the reason on ``plate``. Connectors count and drop them.

    Input may use the Chinese platform field names (``kkbh hphm hpzl hpys gcsj fxlx cdbh clsd xzqh``);
    output always uses the English names.
    """

    event_id: EventId = Field(
        description="Id of this read, set by the connector and identical on every re-send (UUID; derive "
        "it with schemas.base.stable_event_id from the source record so retries keep it)."
    )
    checkpoint_id: ShortText = Field(
        validation_alias=_alias("checkpoint_id"), description="Checkpoint id at the source (卡口编号, kkbh)."
    )
    region: RegionCode = Field(
        validation_alias=_alias("region"),
        description="GB/T 2260 code of the region that operates the checkpoint (行政区划, xzqh); must "
        "equal the region of the topic the hit was published on.",
    )
    plate: PlateText = Field(
        validation_alias=_alias("plate"),
        description="Plate number (号牌号码, hphm), normalised: NFKC, upper case, no separators, "
        "look-alikes mapped; suffixes such as 警 学 挂 kept.",
    )
    plate_read: ShortText | None = Field(
        default=None, description="The plate exactly as the reader reported it, when it differs from `plate`."
    )
    plate_type: PlateTypeCode | None = Field(
        default=None,
        validation_alias=_alias("plate_type"),
        description="Plate type (号牌种类, hpzl), two-digit GA 24.7 code: 01 large, 02 small, 52 small "
        "new-energy …; absent when the reader does not classify.",
    )
    plate_colour: ColourField | None = Field(
        default=None,
        validation_alias=_alias("plate_colour"),
        description="Plate colour (号牌颜色, hpys). Also accepted on input: numeric codes 0 white, "
        "1 yellow, 2 blue, 3 black, 4 green, 9 other and Chinese names (蓝, 黄色, 渐变绿 …). "
        "Absent when the reader did not report one.",
    )
    pass_time: CheckpointTime = Field(
        validation_alias=_alias("pass_time"),
        description="When the vehicle passed (过车时间, gcsj), UTC. Input: ISO 8601 with offset, or a "
        "Chinese system time without offset ('2024-05-01 08:30:00', '20240501083000') read as UTC+8.",
    )
    direction: ShortText | None = Field(
        default=None,
        max_length=16,
        validation_alias=_alias("direction"),
        description="Direction code as the checkpoint platform reports it (方向类型, fxlx).",
    )
    lane: int | None = Field(
        default=None,
        ge=0,
        le=99,
        validation_alias=_alias("lane"),
        description="Lane number (车道编号, cdbh).",
    )
    speed_kmh: float | None = Field(
        default=None,
        ge=0,
        le=400,
        validation_alias=_alias("speed_kmh"),
        description="Speed in km/h (车速, clsd).",
    )
    confidence: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Reader's confidence in the plate text, 0..1 (a 0..100 reading is divided by 100).",
    )
    image_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        description="Reference to the evidence image (URI or id in the region's image store), never "
        "the image itself.",
    )
    source: ShortText | None = Field(
        default=None, description="Id of the connector or device that produced it."
    )
    received_at: UtcDatetime | None = Field(
        default=None, description="When the connector received the read from its source, UTC (for latency)."
    )

    @model_validator(mode="before")
    @classmethod
    def _keep_plate_as_read(cls, data: Any) -> Any:
        """Keep the reader's text in ``plate_read`` when normalisation changes it."""
        if not isinstance(data, dict) or data.get("plate_read") is not None:
            return data
        raw = data.get("plate", data.get("hphm"))
        if not isinstance(raw, str):
            return data
        try:
            text = normalised_plate_text(raw.strip())
        except PlateError:
            return data  # reported on `plate` by the field validator
        if text != raw.strip():
            return {**data, "plate_read": raw.strip()}
        return data
