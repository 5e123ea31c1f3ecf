"""The closed vocabularies shared by several wire models: categories, actions, priorities, plate colours."""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator

__all__ = [
    "Action",
    "Category",
    "ColourField",
    "PlateColour",
    "Priority",
    "parse_colour",
]


class Category(StrEnum):
    """What a watchlist entry or an alert is about; agreements and subscriptions are written in these."""

    STOLEN_VEHICLE = "stolen_vehicle"  # 被盗抢车辆
    WANTED_PERSON_VEHICLE = "wanted_person_vehicle"  # 涉案人员车辆
    CLONED_PLATE = "cloned_plate"  # 套牌
    FUGITIVE = "fugitive"  # 在逃人员
    DRUGS = "drugs"  # 涉毒
    MISSING_PERSON = "missing_person"  # 失踪人员
    TERRORISM = "terrorism"  # 涉恐
    TRAFFIC_OFFENCE = "traffic_offence"  # 交通违法逃逸
    OTHER = "other"


class Action(StrEnum):
    """What the owner asks a region to do when the vehicle is found."""

    INTERCEPT = "intercept"  # stop the vehicle (拦截)
    DISCREET_REPORT = "discreet_report"  # report where and with whom, do not stop (秘密查控)
    NOTIFY = "notify"  # tell the owner only


class Priority(StrEnum):
    """How fast the owner needs an answer; drives acknowledgement deadlines and escalation."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class PlateColour(StrEnum):
    """Plate colour (号牌颜色, hpys): the same characters in two colours are two different vehicles."""

    BLUE = "blue"  # 蓝: small vehicles
    YELLOW = "yellow"  # 黄: large vehicles, coaches, motorcycles
    GREEN = "green"  # 绿 / 渐变绿: small new-energy vehicles
    YELLOW_GREEN = "yellow_green"  # 黄绿双拼: large new-energy vehicles
    WHITE = "white"  # 白: police, armed police, military
    BLACK = "black"  # 黑: foreign-owned, cross-border (粤Z), embassy/consulate
    OTHER = "other"  # 其他: reported but none of the above


#: The numeric hpys code table most checkpoint platforms use. Vendors differ (some older systems use 4
#: for "other"); a connector whose source uses another table maps it before publishing.
_GA_CODES = {
    "0": PlateColour.WHITE,
    "1": PlateColour.YELLOW,
    "2": PlateColour.BLUE,
    "3": PlateColour.BLACK,
    "4": PlateColour.GREEN,
    "9": PlateColour.OTHER,
}

_CHINESE = {
    "蓝": PlateColour.BLUE,
    "黄": PlateColour.YELLOW,
    "绿": PlateColour.GREEN,
    "渐变绿": PlateColour.GREEN,
    "黄绿": PlateColour.YELLOW_GREEN,
    "黄绿双拼": PlateColour.YELLOW_GREEN,
    "白": PlateColour.WHITE,
    "黑": PlateColour.BLACK,
    "其他": PlateColour.OTHER,
    "其它": PlateColour.OTHER,
}


def parse_colour(value: object) -> object:
    """Map a reported plate colour to ``PlateColour``; anything unrecognised is returned unchanged.

    Accepts the enum values (any case, ``-``/space for ``_``), the numeric codes of ``_GA_CODES`` (as
    string or int) and Chinese names with or without 色 (蓝, 蓝色, 黄绿双拼色 …). Unrecognised input is
    passed on so that the enum validation reports it with the field's name.
    """
    if isinstance(value, PlateColour):
        return value
    if isinstance(value, str):  # the hot path: the enum value itself, as every RAX producer writes it
        known = _BY_VALUE.get(value)
        if known is not None:
            return known
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFKC", value).strip()
    if text in _GA_CODES:
        return _GA_CODES[text]
    chinese = text.removesuffix("色").removesuffix("牌")
    if chinese in _CHINESE:
        return _CHINESE[chinese]
    english = text.lower().replace("-", "_").replace(" ", "_")
    try:
        return PlateColour(english)
    except ValueError:
        return value


_BY_VALUE = {c.value: c for c in PlateColour}

#: A plate colour field that accepts every spelling ``parse_colour`` knows.
ColourField = Annotated[PlateColour, BeforeValidator(parse_colour)]
