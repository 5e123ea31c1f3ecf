"""The plate parser: decides the kind of canonical plate text, checks it and returns the Plate.

Input is the output of ``chars.canonical`` (upper case, no separators); Macau plates also need the
NFKC text with its separators, because ``MA-12-34`` (Macau) and ``MA1234`` (a Hong Kong mark) differ
only in them. Positions are counted from 1: province character, then issuing-authority letter, then serial.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from schemas.plates.chars import IO_TO_DIGITS, SEPARATORS, with_separators
from schemas.plates.model import Plate, PlateError, PlateKind
from schemas.plates.rules import (
    AUTHORITY_LETTERS,
    DIGITS,
    EXCLUDED_LETTERS,
    HK_EXCLUDED_LETTERS,
    ORGAN_LETTER,
    PROVINCES,
    SERIAL_LETTERS,
    SUFFIXES,
    UNSUPPORTED_PREFIXES,
)

__all__ = ["MAX_LENGTH", "parse", "parse_mainland"]

#: longer canonical text is rejected before any further work (the longest plate has 9 characters)
MAX_LENGTH: Final = 16
_MAX_SERIAL_LETTERS: Final = 2  # GA 36 serial coding: digits, one letter or at most two letters
_KIND_NAMES: Final = {kind: kind.value.replace("_", " ") for kind in PlateKind}
_KIND_NAMES[PlateKind.HK_MACAU_CROSSBORDER] = "Hong Kong/Macau cross-border"

_SEP: Final = "[" + re.escape(SEPARATORS) + "]"
_MACAU: Final = re.compile(rf"(M[A-Z]?|A[A-Z]){_SEP}*([0-9]{{2}}){_SEP}+([0-9]{{2}})")
_MILITARY: Final = re.compile(r"([A-Z]{2})([0-9IO]{5})")
_HONG_KONG: Final = re.compile(r"([A-Z]{0,2})([0-9]{1,4})")
_ARMED_POLICE_SERIAL: Final = re.compile(r"[0-9]{4,5}[A-HJ-NP-Z]?")
# the common case in one regex: province, authority letter, 5 serial characters of which at most 2
# letters; it accepts a subset of what parse_mainland accepts, with the same result, at a third of the cost
_ORDINARY: Final = re.compile(
    f"[{''.join(PROVINCES)}][A-HJ-NP-Z](?!(?:[0-9]*[A-HJ-NP-Z]){{3}})[A-HJ-NP-Z0-9]{{5}}"
)


def parse(text: str, nfkc_text: str) -> Plate:
    """The Plate for canonical ``text``; ``nfkc_text`` is the input it came from, after NFKC."""
    if not text:
        raise PlateError("empty plate")
    if len(text) > MAX_LENGTH:
        raise PlateError(f"too long for a plate: {len(text)} characters")
    if _ORDINARY.fullmatch(text) is not None:
        return Plate(text, PlateKind.ORDINARY, text[0])
    first = text[0]
    if first in PROVINCES:
        return parse_mainland(text)
    if first == "使" or text[-1] == "使":
        return _embassy(text)
    # WJ1234 is a Hong Kong mark and WJ12345 a military plate; armed-police plates are longer
    if text.startswith("WJ") and (len(text) >= 8 or not text[2:3].isascii()):
        return _armed_police(text)
    for prefix, reason in UNSUPPORTED_PREFIXES.items():
        if text.startswith(prefix):
            raise PlateError(reason)
    if first.isascii() and first.isalnum():
        return _latin(text, nfkc_text)
    if unicodedata.name(first, "").startswith("CJK"):
        raise PlateError(f"unknown province character {first!r}")
    raise PlateError(f"unexpected character {first!r} at the start of a plate")


def _serial(serial: str, what: str) -> tuple[str, int]:
    """``serial`` with I/O read as 1/0, checked character by character; also its number of letters."""
    fixed = serial.translate(IO_TO_DIGITS)
    letters = 0
    for ch in fixed:
        if ch in SERIAL_LETTERS:
            letters += 1
        elif ch not in DIGITS:
            raise PlateError(f"unexpected character {ch!r} in the serial of {what}")
    return fixed, letters


def parse_mainland(text: str) -> Plate:
    """The Plate for canonical ``text`` starting with a province character (no fast path)."""
    province, n = text[0], len(text)
    if n < 2:
        raise PlateError(f"expected 7 characters for an ordinary plate, got {n}")
    authority = text[1]
    corrected = authority == "0"
    if corrected:
        authority = ORGAN_LETTER  # 0 is never an authority letter: a reader's 0 here is the organ O
    elif authority not in AUTHORITY_LETTERS:
        if authority in EXCLUDED_LETTERS:
            raise PlateError(f"letter {authority!r} cannot be an issuing-authority letter")
        raise PlateError(f"issuing-authority letter expected after {province!r}, got {authority!r}")
    suffix = text[-2:] if text[-2:] in SUFFIXES else text[-1]
    kind = SUFFIXES.get(suffix)
    if kind is None:
        suffix = ""
    serial, letters = _serial(text[2 : n - len(suffix)], "a plate")
    corrected = corrected or serial != text[2 : n - len(suffix)]
    if kind is None:
        kind = _unsuffixed_kind(serial, letters, n)
    else:
        _check_suffixed(province, authority, serial, letters, suffix, kind, n)
    return Plate(f"{province}{authority}{serial}{suffix}", kind, province, corrected)


def _unsuffixed_kind(serial: str, letters: int, n: int) -> PlateKind:
    if n == 7:
        if letters > _MAX_SERIAL_LETTERS:
            raise PlateError(f"an ordinary plate serial has at most 2 letters, got {letters} in {serial!r}")
        return PlateKind.ORDINARY
    if n == 8:
        if serial[0] in "DF":
            if not all(ch in DIGITS for ch in serial[2:]):
                raise PlateError(f"a small new-energy plate ends in 4 digits, got {serial[2:]!r}")
            return PlateKind.NEW_ENERGY_SMALL
        if serial[-1] in "DF":
            if not all(ch in DIGITS for ch in serial[:-1]):
                raise PlateError(f"a large new-energy plate has 5 digits before its D/F, got {serial[:-1]!r}")
            return PlateKind.NEW_ENERGY_LARGE
        raise PlateError(
            "an 8-character plate is a new-energy plate, with D or F right after the authority letter"
            f" (small vehicle) or at the end (large vehicle); got serial {serial!r}"
        )
    if n < 7:
        raise PlateError(f"expected 7 characters for an ordinary plate, got {n}")
    raise PlateError(f"expected 7 characters for an ordinary plate or 8 for a new-energy plate, got {n}")


def _check_suffixed(
    province: str, authority: str, serial: str, letters: int, suffix: str, kind: PlateKind, n: int
) -> None:
    name = _KIND_NAMES[kind]
    if len(serial) != 4:
        raise PlateError(f"expected {6 + len(suffix)} characters for a {name} plate, got {n}")
    if kind is PlateKind.HK_MACAU_CROSSBORDER and (province, authority) != ("粤", "Z"):
        raise PlateError(
            f"{suffix} cross-border plates are issued only as 粤Z…{suffix}, got {province}{authority}"
        )
    if kind is PlateKind.CONSULATE and letters:
        raise PlateError(f"a consulate plate has 4 digits before 领, got {serial!r}")
    if letters > _MAX_SERIAL_LETTERS:
        raise PlateError(f"a {name} plate serial has at most 2 letters, got {letters} in {serial!r}")


def _embassy(text: str) -> Plate:
    # plates read 使 224-009; some datasets write the 使 last
    digits = text[1:] if text[0] == "使" else text[:-1]
    fixed = digits.translate(IO_TO_DIGITS)
    if len(fixed) != 6 or not all(ch in DIGITS for ch in fixed):
        raise PlateError(f"an embassy plate is 使 and 6 digits (country code and serial), got {text!r}")
    return Plate(f"使{fixed}", PlateKind.EMBASSY, None, fixed != digits)


def _armed_police(text: str) -> Plate:
    rest = text[2:]
    if rest[:1] in PROVINCES:
        province: str | None = rest[0]
        head, serial = rest[0], rest[1:]
    elif len(rest) >= 2 and rest[0] in DIGITS and rest[1] in DIGITS:
        province, head, serial = None, rest[:2], rest[2:]
    else:
        raise PlateError(
            f"an armed-police plate has a province character or 2-digit code after WJ, got {text!r}"
        )
    fixed = serial.translate(IO_TO_DIGITS)
    if _ARMED_POLICE_SERIAL.fullmatch(fixed) is None:
        raise PlateError(
            f"an armed-police plate has 4 or 5 digits and an optional service letter"
            f" after WJ{head}, got {serial!r}"
        )
    return Plate(f"WJ{head}{fixed}", PlateKind.ARMED_POLICE, province, fixed != serial)


def _latin(text: str, nfkc_text: str) -> Plate:
    spaced = with_separators(nfkc_text)
    macau = _MACAU.fullmatch(spaced)
    if macau is not None:
        return Plate("-".join(macau.groups()), PlateKind.MACAU, None)
    military = _MILITARY.fullmatch(text)
    if military is not None:
        letters, digits = military.groups()
        _no_excluded(letters, EXCLUDED_LETTERS, "a military plate")
        fixed = digits.translate(IO_TO_DIGITS)
        return Plate(letters + fixed, PlateKind.MILITARY, None, fixed != digits)
    hong_kong = _HONG_KONG.fullmatch(text)
    if hong_kong is not None:
        letters, digits = hong_kong.groups()
        _no_excluded(letters, HK_EXCLUDED_LETTERS, "a Hong Kong mark")
        if digits[0] == "0":
            raise PlateError(f"a Hong Kong mark's number has no leading zero, got {digits!r}")
        return Plate(text, PlateKind.HONG_KONG, None)
    if not text.isascii():
        raise PlateError(f"a mainland plate starts with its province character, got {text[0]!r}")
    raise PlateError(f"{text!r} has no province character and is not a Hong Kong, Macau or military plate")


def _no_excluded(letters: str, excluded: frozenset[str], what: str) -> None:
    for ch in letters:
        if ch in excluded:
            raise PlateError(f"letter {ch!r} cannot occur in {what}")
