"""The plate parser: decides the kind of canonical plate text, checks its shape and issuing rules.

Input is the output of ``chars.canonical`` (upper case, no separators); Macau plates also need the
NFKC text with its separators, because ``MA-12-34`` (Macau) and ``MA1234`` (a Hong Kong mark) differ
only in them. Positions are counted from 1: province character, then issuing-authority letter, then serial.

Two questions, answered in one pass (see ``Strictness``): is the text the shape of a plate at all
(else ``PlateError``, for a read and an entry alike), and which issuing rule does it break
(``Plate.breaks``), with the refusal of a ``Parsed`` saying why an entry may not break it. Latin-only plates
(Hong Kong, Macau, military) are parsed in ``schemas.plates.latin``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from schemas.plates.chars import IO_TO_DIGITS
from schemas.plates.latin import parse_latin, parse_macau
from schemas.plates.model import Plate, PlateError, PlateKind, PlateRule
from schemas.plates.rules import (
    AUTHORITY_LETTERS,
    DIGITS,
    EXCLUDED_LETTERS,
    ORGAN_LETTER,
    PROVINCES,
    SERIAL_LETTERS,
    SUFFIXES,
    UNSUPPORTED_PREFIXES,
)

__all__ = ["MAX_LENGTH", "Parsed", "parse", "parse_mainland"]

#: longer canonical text is rejected before any further work (the longest plate has 9 characters)
MAX_LENGTH: Final = 16
_MAX_SERIAL_LETTERS: Final = 2  # GA 36 serial coding: digits, one letter or at most two letters
#: real plates with 3 letters in the serial exist (older and self-chosen serials): an entry may have them
_MAX_ENTRY_SERIAL_LETTERS: Final = 3
_KIND_NAMES: Final = {kind: kind.value.replace("_", " ") for kind in PlateKind}
_KIND_NAMES[PlateKind.HK_MACAU_CROSSBORDER] = "Hong Kong/Macau cross-border"
_R = PlateRule

_ARMED_POLICE_SERIAL: Final = re.compile(r"[0-9]{4,5}[A-HJ-NP-Z]?")
# a read may have a look-alike digit for the service letter (WJ粤123456 for WJ粤12345G): 6 characters
_ARMED_POLICE_SHAPE: Final = re.compile(r"[0-9A-Z]{4,6}")
# the common case in one regex: province, authority letter, 5 serial characters of which at most 2
# letters; it accepts a subset of what parse_mainland accepts, with the same result, at a third of the cost
ORDINARY: Final = re.compile(
    f"[{''.join(PROVINCES)}][A-HJ-NP-Z](?!(?:[0-9]*[A-HJ-NP-Z]){{3}})[A-HJ-NP-Z0-9]{{5}}"
)


#: A plate-shaped text: its Plate, and why an entry may not be it (None when an entry may). A plain
#: tuple, not a NamedTuple: built once per parse on the hot path, where a NamedTuple costs 0.3 µs more.
Parsed = tuple[Plate, str | None]


def parse(text: str, nfkc_text: str) -> Parsed:
    """The parse of canonical ``text``; ``nfkc_text`` is the input it came from, after NFKC.

    Raises PlateError for text that is not the shape of any plate.
    """
    if not text:
        raise PlateError("empty plate")
    if len(text) > MAX_LENGTH:
        raise PlateError(f"too long for a plate: {len(text)} characters")
    if ORDINARY.fullmatch(text) is not None:
        return Plate(text, PlateKind.ORDINARY, text[0]), None
    first = text[0]
    if first in PROVINCES:
        return parse_mainland(text)
    if first == "使" or text[-1] == "使":
        return _embassy(text)
    # WJ1234 is a Hong Kong mark and WJ12345 a military plate; armed-police plates are longer. Two
    # Latin characters before a province character, or before the 2-digit code of a text longer than
    # any Hong Kong mark, are a read of WJ (WU粤1609X, XJ0112345).
    if (text.startswith("WJ") and (len(text) >= 8 or not text[2:3].isascii())) or (
        text[:2].isascii()
        and text[:2].isalpha()
        and (text[2:3] in PROVINCES or (len(text) >= 9 and text.isascii() and text[2:4].isdigit()))
    ):
        return _armed_police(text)
    for prefix, reason in UNSUPPORTED_PREFIXES.items():
        if text.startswith(prefix):
            raise PlateError(reason)
    if first.isascii() and first.isalnum():
        macau = parse_macau(nfkc_text)  # first: MA-12-34 and 44-12-36 (a read of AA-12-36) are Macau
        if macau is not None:
            return macau
        if len(text) == 6 and text.isdigit():  # 224-009: an embassy plate without its 使
            return _embassy("使" + text)
        return parse_latin(text)
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


def parse_mainland(text: str) -> Parsed:
    """The parse of canonical ``text`` starting with a province character (no fast path)."""
    province, n = text[0], len(text)
    if n < 2:
        raise PlateError(f"expected 7 characters for an ordinary plate, got {n}")
    authority = text[1]
    corrected = authority == "0"
    broken: tuple[PlateRule, str] | None = None
    if corrected:
        authority = ORGAN_LETTER  # 0 is never an authority letter: a reader's 0 here is the organ O
    elif authority not in AUTHORITY_LETTERS:
        if authority in EXCLUDED_LETTERS:
            broken = (_R.AUTHORITY_LETTER, f"letter {authority!r} cannot be an issuing-authority letter")
        elif authority in DIGITS:  # 8 for B, 2 for Z …: a read of a letter, which an entry must give
            broken = (
                _R.AUTHORITY_LETTER,
                f"issuing-authority letter expected after {province!r}, got {authority!r}",
            )
        else:
            raise PlateError(f"issuing-authority letter expected after {province!r}, got {authority!r}")
    suffix = text[-2:] if text[-2:] in SUFFIXES else text[-1]
    kind = SUFFIXES.get(suffix)
    if kind is None:
        suffix = ""
    raw_serial = text[2 : n - len(suffix)]
    serial, letters = _serial(raw_serial, "a plate")
    corrected = corrected or serial != raw_serial
    refusal = None
    if kind is None and n == 6 and not letters:
        # 4 digits without 领: a consulate plate as a reader without the character reports it (a guess,
        # so marked corrected); a person writes the 领
        kind, rule, suffix, corrected = PlateKind.CONSULATE, None, "领", True
        refusal = (
            f"expected 7 characters for an ordinary plate, got 6 (a consulate plate ends in 领: {text}领)"
        )
    elif kind is None:
        kind, rule = _unsuffixed(serial, letters, n)
    else:
        rule = _suffixed(province, authority, serial, letters, suffix, kind, n)
    broken = broken or rule
    plate = Plate(
        f"{province}{authority}{serial}{suffix}", kind, province, corrected, broken[0] if broken else None
    )
    if broken is None or (broken[0] is _R.SERIAL_LETTERS and letters <= _MAX_ENTRY_SERIAL_LETTERS):
        return plate, refusal
    return plate, broken[1]


def _letters_rule(name: str, serial: str, letters: int) -> tuple[PlateRule, str] | None:
    if letters <= _MAX_SERIAL_LETTERS:
        return None
    return (
        _R.SERIAL_LETTERS,
        f"{'an' if name[0] in 'aeiou' else 'a'} {name} plate serial has at most 2 letters (3 in some older "
        "or chosen serials), "
        f"got {letters} in {serial!r}",
    )


def _unsuffixed(serial: str, letters: int, n: int) -> tuple[PlateKind, tuple[PlateRule, str] | None]:
    if n == 7:
        return PlateKind.ORDINARY, _letters_rule("ordinary", serial, letters)
    if n == 8:
        if serial[0] in "DF":
            if not all(ch in DIGITS for ch in serial[2:]):
                message = f"a small new-energy plate ends in 4 digits, got {serial[2:]!r}"
                return PlateKind.NEW_ENERGY_SMALL, (_R.NEW_ENERGY_SERIAL, message)
            return PlateKind.NEW_ENERGY_SMALL, None
        if serial[-1] in "DF":
            if not all(ch in DIGITS for ch in serial[:-1]):
                message = f"a large new-energy plate has 5 digits before its D/F, got {serial[:-1]!r}"
                return PlateKind.NEW_ENERGY_LARGE, (_R.NEW_ENERGY_SERIAL, message)
            return PlateKind.NEW_ENERGY_LARGE, None
        message = (
            "an 8-character plate is a new-energy plate, with D or F right after the authority letter"
            f" (small vehicle) or at the end (large vehicle); got serial {serial!r}"
        )
        return PlateKind.NEW_ENERGY_SMALL, (_R.NEW_ENERGY_SERIAL, message)
    if n < 7:
        raise PlateError(f"expected 7 characters for an ordinary plate, got {n}")
    raise PlateError(f"expected 7 characters for an ordinary plate or 8 for a new-energy plate, got {n}")


def _suffixed(
    province: str, authority: str, serial: str, letters: int, suffix: str, kind: PlateKind, n: int
) -> tuple[PlateRule, str] | None:
    name = _KIND_NAMES[kind]
    if len(serial) != 4:
        raise PlateError(f"expected {6 + len(suffix)} characters for a {name} plate, got {n}")
    if kind is PlateKind.HK_MACAU_CROSSBORDER and (province, authority) != ("粤", "Z"):
        message = f"{suffix} cross-border plates are issued only as 粤Z…{suffix}, got {province}{authority}"
        return _R.CROSS_BORDER_AUTHORITY, message
    if kind is PlateKind.CONSULATE and letters:
        return _R.CONSULATE_SERIAL, f"a consulate plate has 4 digits before 领, got {serial!r}"
    return _letters_rule(name, serial, letters)


def _embassy(text: str) -> Parsed:
    # plates read 使 224-009; some datasets write the 使 last, some leave it out
    digits = text[1:] if text[0] == "使" else text[:-1]
    fixed = digits.translate(IO_TO_DIGITS)
    if len(fixed) != 6 or not fixed.isascii() or not fixed.isalnum():
        raise PlateError(f"an embassy plate is 使 and 6 digits (country code and serial), got {text!r}")
    plate = Plate(f"使{fixed}", PlateKind.EMBASSY, None, fixed != digits)
    if fixed.isdigit():
        return plate, None
    message = f"an embassy plate is 使 and 6 digits (country code and serial), got {text!r}"
    return Plate(plate.text, plate.kind, None, plate.corrected, _R.EMBASSY_SERIAL), message


def _armed_police(text: str) -> Parsed:
    prefix, rest = text[:2], text[2:]
    if rest[:1] in PROVINCES:
        province: str | None = rest[0]
        head, serial = rest[0], rest[1:]
    elif len(rest) >= 2 and rest[:2].isascii() and rest[:2].isalnum():
        province, head, serial = None, rest[:2].translate(IO_TO_DIGITS), rest[2:]
    else:
        raise PlateError(
            f"an armed-police plate has a province character or 2-digit code after WJ, got {text!r}"
        )
    fixed = serial.translate(IO_TO_DIGITS)
    message = (
        f"an armed-police plate has 4 or 5 digits and an optional service letter after WJ{head}, "
        f"got {serial!r}"
    )
    if _ARMED_POLICE_SHAPE.fullmatch(fixed) is None:
        raise PlateError(message)
    corrected = fixed != serial or (province is None and head != rest[:2])
    plate = Plate(f"{prefix}{head}{fixed}", PlateKind.ARMED_POLICE, province, corrected)
    if prefix != "WJ":
        message = f"an armed-police plate starts with WJ, got {text!r}"
    elif province is None and not head.isdigit():  # a look-alike letter in the 2-digit code
        message = f"an armed-police plate has a province character or 2-digit code after WJ, got {text!r}"
    elif _ARMED_POLICE_SERIAL.fullmatch(fixed) is not None:
        return plate, None
    return Plate(plate.text, plate.kind, province, corrected, _R.ARMED_POLICE_FORM), message
