"""The plate value types: what kind of plate it is, the normalised plate, and the one error type."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Plate", "PlateError", "PlateKind"]


class PlateKind(StrEnum):
    """The plate's format, decided by its characters alone (the colour is not in the text)."""

    ORDINARY = "ordinary"
    NEW_ENERGY_SMALL = "new_energy_small"
    NEW_ENERGY_LARGE = "new_energy_large"
    POLICE = "police"
    COACH = "coach"
    TRAILER = "trailer"
    TEST_VEHICLE = "test_vehicle"
    OVERSIZE = "oversize"
    EMERGENCY = "emergency"
    HK_MACAU_CROSSBORDER = "hk_macau_crossborder"
    CONSULATE = "consulate"
    EMBASSY = "embassy"
    ARMED_POLICE = "armed_police"
    MILITARY = "military"
    HONG_KONG = "hong_kong"
    MACAU = "macau"


class PlateError(ValueError):
    """Raised for text that is not a plate; the message says what is wrong with it."""


@dataclass(frozen=True, slots=True)
class Plate:
    """A normalised plate: its canonical text, its kind and its province character (mainland only).

    ``text`` is the identity of the plate and the Kafka key. Two plates with the same ``text`` but
    different colours (blue small car, yellow large vehicle) are different vehicles: colour is not in
    the text, so a match on ``text`` alone must be confirmed against the colour where it is known.

    ``corrected`` is True when normalisation replaced a character that cannot occur on a plate (a
    serial I or O, a digit 0 in the authority position) rather than only changing its form (width,
    case, separators, traditional characters). A watchlist hit on a corrected plate is a hit on a
    misread and must be shown as such. It takes no part in equality or hashing.
    """

    text: str
    kind: PlateKind
    province: str | None
    corrected: bool = field(default=False, compare=False)
