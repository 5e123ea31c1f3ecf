"""The checkpoint hit (过车记录): one plate read at one checkpoint lane, on ``rax.in.<region>.hits``."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, model_validator

from schemas.base import SINGLE_LINE, EventId, ShortText, UtcDatetime, WireModel
from schemas.fields import CheckpointTime, PlateTypeCode, ReadPlateText, RegionCode
from schemas.plates import PlateError, PlateRule, read_plate
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

    The plate is a *read* (``schemas.plates.Strictness.READ``): any text of a plate's shape is a hit
    and is matched, also when it breaks an issuing rule, as misreads do (``川A6ZE1N`` for ``川A62E1N``
    has 3 letters in its serial); ``conforms`` and ``breaks`` say so, derived from the plate (values
    sent for them are replaced). A record whose plate has no plate's shape (unread plates such as
    无牌 / 未识别, a 6-character mainland text with letters) is not a hit: it can match nothing, and
    decoding it fails with the reason on ``plate``. Connectors drop the unread ones and dead-letter the rest.

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
    plate: ReadPlateText = Field(
        validation_alias=_alias("plate"),
        description="Plate number (号牌号码, hphm) as read, normalised: NFKC, upper case, no separators, "
        "serial I/O as 1/0; suffixes such as 警 学 挂 kept. Any text of a plate's shape is accepted, "
        "also when it breaks an issuing rule (see `conforms`).",
    )
    plate_read: ShortText | None = Field(
        default=None, description="The plate exactly as the reader reported it, when it differs from `plate`."
    )
    conforms: bool = Field(
        default=True,
        description="False when `plate` breaks an issuing rule (`breaks` says which): likely a misread. "
        "Derived from `plate`; a value sent is replaced.",
    )
    breaks: PlateRule | None = Field(
        default=None,
        description="The issuing rule `plate` breaks (e.g. serial_letters: more than 2 letters in the "
        "serial); absent when it conforms. Derived from `plate`; a value sent is replaced.",
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
        description="Reader's confidence in the plate text, 0..1 (the checkpoint connectors divide a "
        "platform's 0..100 reading by 100).",
    )
    image_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        pattern=SINGLE_LINE,
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
    def _derive_from_plate(cls, data: Any) -> Any:
        """Keep the reader's text in ``plate_read`` when normalisation changes it; set ``conforms``."""
        if not isinstance(data, dict):
            return data
        raw = data.get("plate", data.get("hphm"))
        if not isinstance(raw, str):
            return data
        try:
            plate = read_plate(raw.strip())
        except PlateError:
            return data  # reported on `plate` by the field validator
        update: dict[str, Any] = {}
        if plate.text != raw.strip() and data.get("plate_read") is None:
            update["plate_read"] = raw.strip()
        breaks = plate.breaks
        if (breaks is not None or "breaks" in data or "conforms" in data) and (
            data.get("breaks") != breaks or data.get("conforms", True) is not (breaks is None)
        ):
            update["conforms"], update["breaks"] = breaks is None, breaks
        return {**data, **update} if update else data
