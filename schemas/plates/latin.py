"""Latin-only plates: Macau (digit pairs separated), military, Hong Kong traditional and personalised marks.

Hong Kong marks never contain I, O or Q (Road Traffic (Registration and Licensing of Vehicles)
Regulations, reg. 12E): a read's I and O are 1 and 0, as in a mainland serial; a person's I or O is
refused with that explanation. A personalised mark is 1 to 8 letters and numerals, at most four
identical ones side by side (a read may have more), that is not a traditional mark (up to 2 letters,
a number 1-9999). Six numerals are the embassy plate without its 使 (decided before this module is
asked).
"""

from __future__ import annotations

import re
from typing import Final

from schemas.plates.chars import IO_TO_DIGITS, SEPARATORS, with_separators
from schemas.plates.model import Plate, PlateError, PlateKind, PlateRule
from schemas.plates.rules import EXCLUDED_LETTERS, HK_EXCLUDED_LETTERS

__all__ = ["macau_unseparated", "parse_latin", "parse_macau"]

_SEP: Final = "[" + re.escape(SEPARATORS) + "]"
_MACAU_HEAD: Final = re.compile(r"M[A-Z]?|A[A-Z]")
# a read may hold look-alikes in the head (4A for AA, M8 for MB) and the digit pairs (MA-1Z-34); the
# separated digit pairs, two digits at least among them, make it Macau
_MACAU: Final = re.compile(rf"([MA4][0-9A-Z]?){_SEP}*([0-9A-Z]{{2}}){_SEP}+([0-9A-Z]{{2}})")
_MACAU_UNSEPARATED: Final = re.compile(r"(M[A-Z]?|A[A-Z])([0-9]{2})([0-9]{2})")
_MILITARY: Final = re.compile(r"([A-Z]{2})([0-9IO]{5})")
_HONG_KONG: Final = re.compile(r"([A-Z]{0,2})([0-9]{1,4})")
_PERSONALISED: Final = re.compile(r"[0-9A-Z]{1,8}")
_LONG_RUN: Final = re.compile(r"(.)\1{4}")  # five identical characters side by side


def parse_macau(nfkc_text: str) -> tuple[Plate, str | None] | None:
    """The Macau plate of NFKC ``nfkc_text`` and why an entry may not be it; None if it is no Macau read."""
    macau = _MACAU.fullmatch(with_separators(nfkc_text))
    if macau is None:
        return None
    head, first, second = macau.groups()
    pairs = (first + second).translate(IO_TO_DIGITS)
    if sum(ch.isdigit() for ch in pairs) < 2:
        return None
    text = f"{head}-{pairs[:2]}-{pairs[2:]}"
    corrected = first + second != pairs
    if pairs.isdigit() and _MACAU_HEAD.fullmatch(head) is not None:
        return Plate(text, PlateKind.MACAU, None, corrected), None
    plate = Plate(text, PlateKind.MACAU, None, corrected, PlateRule.MACAU_FORM)
    return (
        plate,
        f"a Macau plate is M, or M or A and a letter, then two pairs of digits, got {head}-{first}-{second}",
    )


def macau_unseparated(text: str) -> Plate | None:
    """The Macau plate of canonical ``text`` written without its separators (``MA1234`` for ``MA-12-34``),
    or None. Only for a person who states that Macau issued it: the same text is also a Hong Kong mark,
    which is what a read of it is taken to be."""
    m = _MACAU_UNSEPARATED.fullmatch(text)
    return None if m is None else Plate(f"{m[1]}-{m[2]}-{m[3]}", PlateKind.MACAU, None)


def parse_latin(text: str) -> tuple[Plate, str | None]:
    """The Plate of canonical Latin ``text`` (not Macau) and why an entry may not be it; raises PlateError."""
    military = _MILITARY.fullmatch(text)
    if military is not None:
        letters, digits = military.groups()
        fixed = digits.translate(IO_TO_DIGITS)
        excluded = next((ch for ch in letters if ch in EXCLUDED_LETTERS), None)
        if excluded is None:
            return Plate(letters + fixed, PlateKind.MILITARY, None, fixed != digits), None
        plate = Plate(letters + fixed, PlateKind.MILITARY, None, fixed != digits, PlateRule.MILITARY_LETTERS)
        return plate, f"letter {excluded!r} cannot occur in a military plate"
    return _hong_kong(text)


def _hong_kong(text: str) -> tuple[Plate, str | None]:
    fixed = text.translate(IO_TO_DIGITS)
    corrected = fixed != text
    excluded = next((ch for ch in text if ch in HK_EXCLUDED_LETTERS), None)
    refusal = f"letter {excluded!r} cannot occur in a Hong Kong mark" if excluded else None
    rule = PlateRule.HONG_KONG_MARK if "Q" in fixed else None
    traditional = _HONG_KONG.fullmatch(fixed)
    if traditional is not None:
        number = traditional.group(2)
        if number[0] == "0":
            rule = PlateRule.HONG_KONG_MARK
            refusal = refusal or f"a Hong Kong mark's number has no leading zero, got {number!r}"
        return Plate(fixed, PlateKind.HONG_KONG, None, corrected, rule), refusal
    if _PERSONALISED.fullmatch(fixed) is not None:
        run = _LONG_RUN.search(fixed)
        if run is not None:  # a read of AA00000 with A as 4 has such a run: only entries refuse it
            rule = PlateRule.HONG_KONG_MARK
            refusal = (
                refusal or f"a Hong Kong mark has at most 4 identical characters side by side, got {text!r}"
            )
        return Plate(fixed, PlateKind.HONG_KONG_PERSONALISED, None, corrected, rule), refusal
    if not text.isascii():
        raise PlateError(f"a mainland plate starts with its province character, got {text[0]!r}")
    raise PlateError(f"{text!r} has no province character and is not a Hong Kong, Macau or military plate")
