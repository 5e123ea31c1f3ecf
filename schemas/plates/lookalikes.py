"""The one table of OCR look-alike classes of plate characters: matching, simulation, schema and docs use it.

A class is a set of characters a reader may output for one another; a misread swaps a character for
another of its class. ``streams.hotpath.confusion`` builds its class keys from this table, the
simulator draws its misreads from it, the watchlist ``tolerance`` description names it, and
``docs/hotpath.md`` shows ``markdown_table()``, checked against it by a unit test.

Why these classes (each a partition block):

* ``0 D Q O`` round closed shapes; the documented default of commercial ALPR matchers (Genetec's "OCR
  equivalence": 0/O/D/Q, 1/I, 2/Z, 5/S, 8/B, 6/G), and the organ letter ``O`` is written as ``0``.
* ``8 B``, ``2 Z``, ``5 S``, ``6 G``: the rest of that default list.
* ``1 7 I``: a thin vertical stroke; ``7`` loses its bar to blur and low resolution, ``I`` never stands in
  a serial but is what a reader outputs for a ``1``.
* ``4 A``: a triangle with a crossbar; named, with P/R and E/F, among the pairs ALPR error surveys list.
* ``E F``: dirt, a bolt or the plate frame over the bottom bar turns ``E`` into ``F``.
* ``P R``: the leg of ``R`` is lost to motion blur; noise adds one to ``P``.
* Not taken, because a larger class means more candidates to verify and more false misreads for a person
  to reject: ``U``/``V``/``0``, ``C``/``G``, ``3``/``8``, ``K``/``X``, ``T``/``1``.
* The 31 province characters form one class: the small hanzi is the least reliable character of a read
  (CCPD-trained readers confuse them well beyond visual pairs) and no look-alike grouping of them is
  documented well enough to rely on.

Every other character (suffixes 警 学 挂 港 澳 领 使 …, the other letters and digits) is a class of its own.
"""

from __future__ import annotations

from typing import Final

from schemas.plates.rules import PROVINCES as _PROVINCE_CODES

__all__ = ["LOOKALIKE_CLASSES", "PROVINCE_CLASS", "lookalikes_of", "markdown_table", "summary"]

#: look-alike classes of Latin characters; the first character of each is its representative
LOOKALIKE_CLASSES: Final[tuple[str, ...]] = ("0DQO", "8B", "17I", "2Z", "5S", "6G", "4A", "EF", "PR")

#: the province characters of mainland plates, one class, in the order of ``plate_rules.json``
PROVINCE_CLASS: Final = "".join(_PROVINCE_CODES)

_WHY: Final = {
    "0DQO": "round closed shapes; O is the organ letter, written 0",
    "8B": "closed double loop",
    "17I": "thin vertical stroke; 7 loses its bar, a reader's I is a 1",
    "2Z": "diagonal with two bars",
    "5S": "open double curve",
    "6G": "closed lower loop",
    "4A": "triangle with a crossbar",
    "EF": "the bottom bar of E hidden by dirt or the frame",
    "PR": "the leg of R lost to motion blur",
}


def lookalikes_of(ch: str) -> str:
    """Every character ``ch`` may be misread as, itself included (its whole class)."""
    if ch in PROVINCE_CLASS:
        return PROVINCE_CLASS
    for members in LOOKALIKE_CLASSES:
        if ch in members:
            return members
    return ch


def summary() -> str:
    """The classes in one line, as the watchlist ``tolerance`` description names them."""
    latin = ", ".join("/".join(members) for members in LOOKALIKE_CLASSES)
    return f"{latin}; the {len(PROVINCE_CLASS)} province characters as one class"


def markdown_table() -> str:
    """The classes as the Markdown table ``docs/hotpath.md`` shows (a unit test keeps them equal)."""
    rows = ["| class | characters | why |", "|---|---|---|"]
    for members in LOOKALIKE_CLASSES:
        rows.append(f"| `{members[0]}` | {' '.join(members)} | {_WHY[members]} |")
    why = "the province character: the least reliable character of a read"
    rows.append(f"| `#` | {' '.join(PROVINCE_CLASS)} | {why} |")
    return "\n".join(rows)
