"""Character-level canonicalisation of plate text: NFKC, separators, case and character variants.

Only the form of a character changes here, never which character it is: full-width ``Ａ１`` -> ``A1``
(NFKC), ``a`` -> ``A``, separators dropped, traditional ``粵 滬 貴 學 …`` -> the simplified characters on
plates, and the formal abbreviations ``黔`` -> ``贵`` and ``滇`` -> ``云`` (plates carry 贵 and 云; 黔 and
滇 only come from people typing them). Replacing look-alike characters (serial I/O, authority 0) is
a correction, not a change of form, and is done by the parser, which knows the positions.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["IO_TO_DIGITS", "SEPARATORS", "canonical", "nfkc", "with_separators"]

#: separators readers and people put between plate groups (after NFKC: full-width forms are folded)
SEPARATORS: Final = " \t\r\n\v\f-.\u00b7\u2022\u30fb\u2027\u2219\u22c5\u2010\u2012\u2013\u2014\u2015\u2212"

_VARIANTS: Final = {
    # traditional forms of plate characters, typed in Hong Kong and Macau
    "遼": "辽",
    "滬": "沪",
    "蘇": "苏",
    "閩": "闽",
    "贛": "赣",
    "魯": "鲁",
    "粵": "粤",
    "瓊": "琼",
    "貴": "贵",
    "雲": "云",
    "陝": "陕",
    "寧": "宁",
    "晉": "晋",
    "學": "学",
    "掛": "挂",
    "領": "领",
    "試": "试",
    "應": "应",
    # formal province abbreviations that never appear on a plate
    "黔": "贵",
    "滇": "云",
}

_UPPER: Final = {chr(c): chr(c - 32) for c in range(ord("a"), ord("z") + 1)}
_FORM_TABLE: Final = str.maketrans(_UPPER | _VARIANTS)
_CANONICAL_TABLE: Final = str.maketrans({**_UPPER, **_VARIANTS, **dict.fromkeys(SEPARATORS)})
#: I and O never occur in a mainland serial: a reader's I is a 1 and its O a 0
IO_TO_DIGITS: Final = str.maketrans("IO", "10")


def nfkc(raw: str) -> str:
    """``raw`` in NFKC (full-width letters, digits and punctuation become ASCII)."""
    # normalize() quick-checks first, which is faster than any pre-test of ours for ASCII + CJK input
    return unicodedata.normalize("NFKC", raw)


def canonical(text: str) -> str:
    """NFKC'd ``text`` upper-cased, without separators, with variant characters replaced."""
    return text.translate(_CANONICAL_TABLE)


def with_separators(text: str) -> str:
    """NFKC'd ``text`` upper-cased with variant characters replaced, separators kept (for Macau)."""
    return text.translate(_FORM_TABLE).strip()
