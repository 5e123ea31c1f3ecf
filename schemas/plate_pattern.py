"""Watchlist plate patterns: an exact normalised plate, or a partial plate with ``?`` and ``*`` wildcards."""

from __future__ import annotations

import re
from functools import lru_cache

from schemas.plates import PlateError, PlateIssuer, entry_warnings, normalise_plate
from schemas.plates.chars import canonical, nfkc

__all__ = [
    "MIN_KNOWN_CHARACTERS",
    "WILDCARDS",
    "is_partial",
    "normalise_pattern",
    "pattern_regex",
    "pattern_warnings",
]

#: ``?`` stands for exactly one character, ``*`` for any run of characters (also none).
WILDCARDS = frozenset("?*")

#: A partial plate must fix at least this many characters, so a pattern never matches most of a zone.
MIN_KNOWN_CHARACTERS = 3

_ALLOWED = re.compile(r"^[\u4e00-\u9fffA-Z0-9?*]+$")
_MAX_LENGTH = 10


def is_partial(pattern: str) -> bool:
    """True if the pattern has wildcards (a witness's partial plate) rather than being one exact plate."""
    return "?" in pattern or "*" in pattern  # WILDCARDS, tested in C: called several times per entry


def _fix_lookalikes(text: str) -> str:
    # The corrections of plate normalisation, applied to the known characters: serials never contain I
    # or O (GA 36); right after a province character only a letter can stand, so 0 there is the organ O.
    chars = list(text)
    authority = 1 if "\u4e00" <= chars[0] <= "\u9fff" else -1
    for i, ch in enumerate(chars):
        if i == authority:
            chars[i] = "O" if ch == "0" else ch
        elif ch in "IO":
            chars[i] = "1" if ch == "I" else "0"
    return "".join(chars)


def normalise_pattern(raw: str, issuer: PlateIssuer | None = None) -> str:
    """The canonical form of a watchlist plate pattern; raises ValueError saying what is wrong.

    Without wildcards the pattern is a plate a person wrote and is normalised at entry strictness
    (``schemas.plates.Strictness.ENTRY``: every real plate, 3-letter serials included; a read may be
    more, never less), so it compares equal to the normalised plate of a hit; ``issuer``, when the
    owner states it, must be the plate's, and a Hong Kong personalised mark needs it stated. With
    wildcards (the issuer is not checked): the same
    character forms as plates (NFKC, so full-width ？ ＊ become ? *; upper case; separators dropped;
    粵 -> 粤 …), serial I/O read as 1/0 and an authority 0 as the organ letter O, ``**`` collapsed; it
    must keep at least ``MIN_KNOWN_CHARACTERS`` known characters and at most 10 characters besides ``*``.
    """
    text = canonical(nfkc(raw))
    if not text:
        raise ValueError("plate pattern is empty")
    if not is_partial(text):
        try:  # from the raw text: the plate normaliser keeps what it needs (a Macau plate's hyphens)
            return normalise_plate(raw, issuer=issuer).text
        except PlateError as exc:
            raise ValueError(f"not a plate and has no wildcards: {exc}") from None
    if not _ALLOWED.fullmatch(text):
        bad = sorted({ch for ch in text if not _ALLOWED.fullmatch(ch)})
        raise ValueError(f"plate pattern {raw!r} has characters that cannot occur on a plate: {bad}")
    text = re.sub(r"\*{2,}", "*", text)
    known = sum(ch not in WILDCARDS for ch in text)
    if known < MIN_KNOWN_CHARACTERS:
        raise ValueError(
            f"partial plate {raw!r} fixes only {known} characters; at least {MIN_KNOWN_CHARACTERS} needed"
        )
    if len(text.replace("*", "")) > _MAX_LENGTH:
        raise ValueError(f"plate pattern {raw!r} is longer than any plate ({_MAX_LENGTH} characters)")
    return _fix_lookalikes(text)


def pattern_warnings(pattern: str, issuer: PlateIssuer | None = None) -> tuple[str, ...]:
    """What the owner should check about a normalised pattern (``schemas.plates.entry_warnings``)."""
    if is_partial(pattern):
        return ()
    try:
        return entry_warnings(normalise_plate(pattern, issuer=issuer))
    except PlateError:
        return ()  # not a valid pattern: reported on the plate field


@lru_cache(maxsize=4096)
def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A compiled, anchored regular expression matching exactly the normalised plates a pattern covers."""
    parts = [".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern]
    return re.compile("^" + "".join(parts) + r"\Z")
