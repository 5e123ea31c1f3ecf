"""The plate value types: kind, issuing rules, strictness, the normalised plate and the one error type."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Plate", "PlateError", "PlateIssuer", "PlateKind", "PlateRule", "Strictness", "issuer_of"]


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
    HONG_KONG_PERSONALISED = "hong_kong_personalised"
    MACAU = "macau"


class PlateIssuer(StrEnum):
    """Who issued a plate, as the owner of an entry states it (needed for a Hong Kong personalised mark)."""

    MAINLAND = "mainland"
    HONG_KONG = "hong_kong"
    MACAU = "macau"


def issuer_of(kind: PlateKind) -> PlateIssuer:
    """The issuer of every plate of this kind (粤Z…港 cross-border plates are issued on the mainland)."""
    if kind in (PlateKind.HONG_KONG, PlateKind.HONG_KONG_PERSONALISED):
        return PlateIssuer.HONG_KONG
    return PlateIssuer.MACAU if kind is PlateKind.MACAU else PlateIssuer.MAINLAND


class Strictness(StrEnum):
    """How much of the plate rules a text must keep to be accepted.

    ``READ``: what a camera reported (the plate of a checkpoint hit). Accepted whenever it has the shape
    of a plate; an issuing rule it breaks is named on the Plate (``breaks``), never a reason to refuse
    it, because a misread of a real plate often breaks one (``川A62E1N`` read as ``川A6ZE1N``).

    ``ENTRY``: what a person wrote (a watchlist plate, the plates of an alert). Accepted when it is a
    real plate, including the ones real plates are known to break a rule with (a 3-letter serial);
    the rest of what a read may break is refused as malformed. A text that is only a Hong Kong
    personalised mark (``TBD``, ``THE``, ``1L0VEU``: almost any short Latin text has that form) is an
    entry only when the owner states the issuer ``PlateIssuer.HONG_KONG``.
    """

    READ = "read"
    ENTRY = "entry"


class PlateRule(StrEnum):
    """An issuing rule a plate-shaped text breaks; the value is the code carried on hits."""

    AUTHORITY_LETTER = "authority_letter"  # a digit or I where the issuing-authority letter stands
    SERIAL_LETTERS = "serial_letters"  # more than 2 letters in a serial (GA 36)
    NEW_ENERGY_SERIAL = "new_energy_serial"  # 8 characters without the D/F and digits of new energy
    CROSS_BORDER_AUTHORITY = "cross_border_authority"  # 港/澳 on anything but 粤Z
    CONSULATE_SERIAL = "consulate_serial"  # a letter among the 4 digits before 领
    EMBASSY_SERIAL = "embassy_serial"  # a letter among the 6 digits after 使
    ARMED_POLICE_FORM = "armed_police_form"  # not WJ, province or 2-digit code, 4-5 digits, a letter
    MILITARY_LETTERS = "military_letters"  # I or O in the 2 letters of a military plate
    HONG_KONG_MARK = "hong_kong_mark"  # Q in a Hong Kong mark, or a number with a leading zero
    MACAU_FORM = "macau_form"  # not M, M or A + letter, then two pairs of digits


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

    ``breaks`` names the issuing rule the text breaks (None: it conforms). A read may break any; an
    entry only ``SERIAL_LETTERS`` with 3 letters, which real plates do. No part in equality either.
    """

    text: str
    kind: PlateKind
    province: str | None
    corrected: bool = field(default=False, compare=False)
    breaks: PlateRule | None = field(default=None, compare=False)

    @property
    def conforms(self) -> bool:
        """True when the text keeps every issuing rule RAX checks."""
        return self.breaks is None
