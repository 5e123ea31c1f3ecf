"""Character tables for plates, loaded once from the packaged ``plate_rules.json``.

The JSON gives the province characters, the issuing-authority letters, the excluded letters and the
suffix characters; this module turns them into frozensets and a suffix table the parser looks up.
Which plate kind a suffix means, and which suffixes are supported, is decided here in code.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Final

from schemas.plates.model import PlateKind

__all__ = [
    "AUTHORITY_LETTERS",
    "DIGITS",
    "EXCLUDED_LETTERS",
    "HK_EXCLUDED_LETTERS",
    "ORGAN_LETTER",
    "PROVINCES",
    "SERIAL_LETTERS",
    "SUFFIXES",
    "UNSUPPORTED_PREFIXES",
    "load_rules",
]


def load_rules() -> dict[str, Any]:
    """The parsed ``schemas/data/plate_rules.json``."""
    text = resources.files("schemas").joinpath("data", "plate_rules.json").read_text(encoding="utf-8")
    rules: dict[str, Any] = json.loads(text)
    return rules


_RULES: Final = load_rules()

#: province character on the plate -> 2-digit GB/T 2260 province code
PROVINCES: Final[dict[str, str]] = {
    p["abbr"]: p["gb2260_province_code"] for p in _RULES["province_abbreviations"]
}
DIGITS: Final = frozenset("0123456789")
#: letters of issuing authorities and serials: A-Z without I and O
SERIAL_LETTERS: Final = frozenset(_RULES["city_letter_alphabet"])
EXCLUDED_LETTERS: Final = frozenset(_RULES["excluded_letters"])
#: O in the authority position marks public-security and other organ plates (粤O…, 川O…)
ORGAN_LETTER: Final = "O"
AUTHORITY_LETTERS: Final = SERIAL_LETTERS | {ORGAN_LETTER}
HK_EXCLUDED_LETTERS: Final = EXCLUDED_LETTERS | {"Q"}

#: suffix written after a 4-character serial -> the kind of plate it makes
SUFFIXES: Final[dict[str, PlateKind]] = {
    "警": PlateKind.POLICE,
    "学": PlateKind.COACH,
    "挂": PlateKind.TRAILER,
    "港": PlateKind.HK_MACAU_CROSSBORDER,
    "澳": PlateKind.HK_MACAU_CROSSBORDER,
    "领": PlateKind.CONSULATE,
    "试": PlateKind.TEST_VEHICLE,
    "超": PlateKind.OVERSIZE,
    "应急": PlateKind.EMERGENCY,
}
#: listed in the rules but without a format we can check: rejected with this explanation
UNSUPPORTED_PREFIXES: Final[dict[str, str]] = {
    "民航": "civil-aviation (民航) plates are airport-internal and have no format we can check",
}

_HANDLED = set(SUFFIXES) | set(UNSUPPORTED_PREFIXES) | {"使"}
_UNHANDLED = set(_RULES["special_suffix_characters"]) - _HANDLED
if _UNHANDLED:  # a new suffix in the data must get a kind here, not be silently ignored
    raise RuntimeError(f"plate_rules.json lists suffixes with no plate kind: {sorted(_UNHANDLED)}")
