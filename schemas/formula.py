"""CSV formula injection: the one neutraliser of text that a spreadsheet would run as a formula.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets (``=HYPERLINK(…)``, ``+cmd|' /C calc'!A0``, ``@SUM(…)``): free
text that another region opens in a spreadsheet must not start like that. OWASP's treatment is used:
prefix such a value with a single quote, which spreadsheets show as text and do not display. Plain
numbers (``-12``, ``+3.5``) are left alone: they are read as numbers, never run. Apply it to free text
only — plates, ids, codes and times have their own patterns and must not be changed.
"""

from __future__ import annotations

import re

__all__ = ["FORMULA_PREFIXES", "neutralise_formula"]

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_formula(text: str) -> str:
    """``text`` with a leading ``'`` if a spreadsheet would run it as a formula; otherwise unchanged.

    Idempotent: a neutralised value starts with ``'`` and is returned as it is.
    """
    if text.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text
