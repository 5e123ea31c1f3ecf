"""OCR look-alike classes of plate characters, and the class key under which misreads of a plate collide.

The classes are the one table of ``schemas.plates.lookalikes`` (its docstring says why each class
is there; ``docs/hotpath.md`` shows it): Latin classes ``0DQO 8B 17I 2Z 5S 6G 4A EF PR``, and the 31
province characters as one class. A province substitution is scored as costlier than a Latin one
(``PROVINCE_PENALTY``). The class key replaces every province character with ``PROVINCE_MARK``
wherever it stands, which also covers armed-police ``WJ粤…`` plates.

Suffix characters (警 学 挂 港 澳 领 使 …), other hanzi and the remaining letters and digits are classes of
one: they must match exactly. (In a class key the plate hanzi of ``PLATE_HANZI`` are written as one
Latin-1 character each, so every plate's key is one byte per character: see ``streams.hotpath.partial``.)

A plate is represented as ``class_key`` (each character -> its class representative) plus
``variant_code`` (which member of its class each character is); equal key and code means equal plate,
equal key and different code means look-alike substitutions only, and ``substitutions`` counts them.
"""

from __future__ import annotations

from typing import Final

from schemas.plates.lookalikes import LOOKALIKE_CLASSES, PROVINCE_CLASS, lookalikes_of

__all__ = [
    "CLASS_TABLE",
    "LATIN_PENALTY",
    "LOOKALIKE_CLASSES",
    "MAX_LENGTH",
    "PLATE_HANZI",
    "PROVINCES",
    "PROVINCE_MARK",
    "PROVINCE_PENALTY",
    "certainty",
    "class_key",
    "classes_of",
    "min_substitutions",
    "substitutions",
    "variant_code",
]

#: the 31 province characters of mainland plates, one look-alike class (``schemas.plates.lookalikes``)
PROVINCES: Final = PROVINCE_CLASS

#: what a province character becomes in a class key; never part of a plate or a pattern
PROVINCE_MARK: Final = "#"

#: the other hanzi a plate can carry (suffixes, embassy, emergency, civil aviation); in a class key each
#: becomes one Latin-1 character, so the key of every plate is one byte per character
PLATE_HANZI: Final = "警学挂港澳领使试超应急民航"
_HANZI_BASE = 0xC0

#: score lost per Latin look-alike substitution, and per province substitution (a wrong province is both
#: likelier for a reader and weaker evidence, so it costs more)
LATIN_PENALTY: Final = 0.15
PROVINCE_PENALTY: Final = 0.25

_BMP = 0x10000


def _tables() -> tuple[str, str]:
    # str.translate with a 64 Ki-character str as the table is about twice as fast as with a dict: the
    # lookup is an index, not a hash. Characters above the BMP raise IndexError and stay as they are.
    key = [chr(i) for i in range(_BMP)]
    variant = ["\x00"] * _BMP
    seen: set[str] = set()
    for members in LOOKALIKE_CLASSES:
        if seen & set(members) or len(set(members)) != len(members):
            raise ValueError(f"look-alike classes must be disjoint: {members!r}")
        seen |= set(members)
        for index, ch in enumerate(members):
            key[ord(ch)] = members[0]
            variant[ord(ch)] = chr(index)
    for index, ch in enumerate(PROVINCES, start=1):
        key[ord(ch)] = PROVINCE_MARK
        variant[ord(ch)] = chr(index)
    for index, ch in enumerate(PLATE_HANZI):  # swapped with the Latin-1 character whose place it takes
        key[ord(ch)], key[_HANZI_BASE + index] = chr(_HANZI_BASE + index), ch
    # and the mark itself, should it ever be read, goes where no other character goes: so two
    # characters share a key character only if they are look-alikes (then the variant tells them apart)
    key[ord(PROVINCE_MARK)] = PROVINCES[0]
    return "".join(key), "".join(variant)


#: ``str.translate`` table: character -> class representative (``PROVINCE_MARK`` for provinces)
CLASS_TABLE, _VARIANT_TABLE = _tables()


def class_key(text: str) -> str:
    """Each character of a plate (or pattern: wildcards stay) replaced by its class representative."""
    return text.translate(CLASS_TABLE)


def variant_code(plate: str) -> int:
    """Which member of its class each character is, one byte per position (position 0 lowest)."""
    return int.from_bytes(plate.translate(_VARIANT_TABLE).encode("latin-1"), "little")


#: the longest plate (or pattern) the byte arithmetic covers; WatchlistIndex refuses longer patterns
MAX_LENGTH: Final = 32
_BYTES = MAX_LENGTH
_LOW = int.from_bytes(b"\x0f" * _BYTES, "little")
_PAIRS = int.from_bytes(b"\x33" * _BYTES, "little")
_ODD = int.from_bytes(b"\x55" * _BYTES, "little")
_ONE = int.from_bytes(b"\x01" * _BYTES, "little")


def substitutions(key: str, code_a: int, code_b: int) -> tuple[int, int]:
    """(Latin substitutions, province substitutions) between two plates sharing the class ``key``.

    Both plates have ``len(key)`` characters, at most ``MAX_LENGTH``.
    """
    diff = code_a ^ code_b
    # fold each byte onto its lowest bit, then count bits: one per differing position
    diff |= diff >> 4 & _LOW
    diff |= diff >> 2 & _PAIRS
    diff = (diff | diff >> 1 & _ODD) & _ONE
    total = diff.bit_count()
    province = 0
    at = key.find(PROVINCE_MARK)
    while at >= 0:
        province += diff >> 8 * at & 1
        at = key.find(PROVINCE_MARK, at + 1)
    return total - province, province


def min_substitutions(pattern: str, plate: str) -> tuple[int, int] | None:
    """The fewest (Latin, province) look-alike substitutions under which ``pattern`` matches ``plate``.

    None if no alignment matches even with substitutions (a known character differs outside its class).
    Minimises the total first, then the province substitutions. For wildcard patterns;
    only called for candidates an index has found.
    """
    m = len(plate)
    # costs as (total, province); nxt[j] = best cost of pattern[i + 1:] against plate[j:]
    nxt: list[tuple[int, int] | None] = [None] * m + [(0, 0)]
    for pc in reversed(pattern):
        cur: list[tuple[int, int] | None] = [None] * (m + 1)
        for j in range(m, -1, -1):
            options: list[tuple[int, int]] = []
            if pc == "*":
                options = [c for c in (nxt[j], cur[j + 1] if j < m else None) if c is not None]
            elif j < m and (rest := nxt[j + 1]) is not None:
                ch = plate[j]
                if pc in ("?", ch):
                    options = [rest]
                elif (cls := ch.translate(CLASS_TABLE)) == pc.translate(CLASS_TABLE):
                    province = int(cls == PROVINCE_MARK)
                    options = [(rest[0] + 1, rest[1] + province)]
            cur[j] = min(options) if options else None
        nxt = cur
    cost = nxt[0]
    return None if cost is None else (cost[0] - cost[1], cost[1])


def certainty(latin: int, province: int) -> float:
    """How much a match with these substitutions is worth: 1.0 without any, 0.5 at the worst tolerance 2."""
    return max(0.0, 1.0 - LATIN_PENALTY * latin - PROVINCE_PENALTY * province)


def classes_of(ch: str) -> str:
    """Every character ``ch`` may be misread as, itself included (for documentation and tests)."""
    return lookalikes_of(ch)
