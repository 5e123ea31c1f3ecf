"""CSV header names as connectors compare them: stripped, lower-cased, each name once."""

from __future__ import annotations

from collections import Counter

__all__ = ["header_names"]


def header_names(row: list[str]) -> list[str]:
    """The column names of header ``row``; raises ValueError when a name occurs twice.

    Two columns of one name each give a value for one field, and a record keeps only one: which of
    them was meant cannot be told (a watchlist entry could get the wrong plate), so the header is refused.
    """
    names = [name.strip().lower() for name in row]
    twice = sorted(name for name, count in Counter(names).items() if count > 1)
    if twice:
        raise ValueError(f"the CSV header names column(s) {', '.join(map(repr, twice))} more than once")
    return names
