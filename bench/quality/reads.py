"""What a camera makes of a plate: look-alikes, other province, other substitutions, lost or extra characters.

Look-alike substitutions draw from the one table, ``schemas.plates.lookalikes``, and never produce I or
O (the normaliser reads those back as 1 and 0, so they would not be misreads at all). A substitution
that is no look-alike swaps a letter for a letter or a digit for a digit outside the character's class.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from schemas.plates.lookalikes import PROVINCE_CLASS, lookalikes_of
from schemas.plates.rules import SERIAL_LETTERS

__all__ = ["PLAUSIBLE", "READ_KINDS", "make_read"]

_LETTERS = "".join(sorted(SERIAL_LETTERS))
_DIGITS = "0123456789"


def _alternatives(ch: str) -> str:
    """The look-alikes a reader may output for ``ch`` (province characters excluded: their own kind)."""
    if ch in PROVINCE_CLASS:
        return ""
    return "".join(c for c in lookalikes_of(ch) if c != ch and c not in "IO")


def _substitute(plate: str, rng: random.Random, count: int) -> str | None:
    positions = [i for i, ch in enumerate(plate) if _alternatives(ch)]
    if len(positions) < count:
        return None
    chars = list(plate)
    for i in rng.sample(positions, count):
        chars[i] = rng.choice(_alternatives(chars[i]))
    return "".join(chars)


def _province(plate: str, rng: random.Random) -> str | None:
    positions = [i for i, ch in enumerate(plate) if ch in PROVINCE_CLASS]
    if not positions:
        return None
    i = rng.choice(positions)
    return plate[:i] + rng.choice(PROVINCE_CLASS.replace(plate[i], "")) + plate[i + 1 :]


def _non_lookalike(plate: str, rng: random.Random) -> str | None:
    positions = [i for i, ch in enumerate(plate) if ch.isascii() and ch.isalnum()]
    if not positions:
        return None
    i = rng.choice(positions)
    same_type = _DIGITS if plate[i].isdigit() else _LETTERS
    others = [c for c in same_type if c not in lookalikes_of(plate[i])]
    return plate[:i] + rng.choice(others) + plate[i + 1 :]


def _dropped(plate: str, rng: random.Random) -> str | None:
    i = rng.randrange(len(plate))
    return plate[:i] + plate[i + 1 :]


def _inserted(plate: str, rng: random.Random) -> str | None:
    i = rng.randrange(len(plate) + 1)
    return plate[:i] + rng.choice(_LETTERS + _DIGITS) + plate[i:]


#: read kind -> how a camera makes it from the canonical plate (None: the plate has no place for it)
READ_KINDS: dict[str, Callable[[str, random.Random], str | None]] = {
    "clean": lambda plate, rng: plate,
    "one_lookalike": lambda plate, rng: _substitute(plate, rng, 1),
    "two_lookalikes": lambda plate, rng: _substitute(plate, rng, 2),
    "province": _province,
    "non_lookalike": _non_lookalike,
    "dropped": _dropped,
    "inserted": _inserted,
}

#: the kinds that keep the plate's shape: every one of them must reach matching
PLAUSIBLE = ("clean", "one_lookalike", "two_lookalikes", "province", "non_lookalike")


def make_read(kind: str, plate: str, rng: random.Random) -> str | None:
    """A read of ``plate`` of the given kind, or None when the plate has no place for it."""
    return READ_KINDS[kind](plate, rng)
