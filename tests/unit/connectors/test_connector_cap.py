"""CAP 1.2: the four specification examples round-trip; unsafe or invalid messages are refused, with why."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pytest

from connectors.cap import CapError, alert_fields, parse_cap, to_cap_xml
from connectors.cap.mapping import RAX_CODE_PREFIX
from connectors.sdk import RecordKind, Rejection, validate
from schemas.alerts import Alert
from schemas.codec import decode
from schemas.dlq import DlqReason
from schemas.vocab import Category

OFFICIAL = sorted((Path(__file__).parents[2] / "data" / "cap" / "official").glob("*.xml"))
NS = "{urn:oasis:names:tc:emergency:cap:1.2}"
LIMIT = 1 << 20
_TIMES = {"sent", "effective", "onset", "expires"}
_LISTS = {"addresses", "incidents"}


def _alert(data: bytes) -> Alert:
    fields = alert_fields(parse_cap(data, LIMIT), sender_region="510000", default_category="other")
    return decode(validate(RecordKind.ALERTS, fields, "510000").value, Alert)


def _canonical(el: Element) -> Any:
    """An element as comparable data: CAP semantics, not spelling (instants, numbers, default language)."""
    name = el.tag.removeprefix(NS)
    children = [c for c in el if isinstance(c.tag, str)]
    if not children:
        text = (el.text or "").strip()
        if name in _TIMES:
            return name, datetime.fromisoformat(text).timestamp()
        if name == "references":
            return name, tuple(
                (s, i, datetime.fromisoformat(t).timestamp())
                for s, i, t in (r.split(",") for r in text.split())
            )
        if name in ("polygon", "circle", "altitude", "ceiling"):
            return name, tuple(float(x) for x in text.replace(",", " ").split())
        if name in _LISTS:
            return name, tuple(text.split())
        return name, text
    items = [
        _canonical(c)
        for c in children
        if not (c.tag == NS + "code" and (c.text or "").startswith(RAX_CODE_PREFIX))
    ]
    if name == "info" and not any(k == "language" for k, _ in items):
        items.insert(0, ("language", "en-US"))
    return name, tuple(items)


@pytest.mark.parametrize("path", OFFICIAL, ids=lambda p: p.stem)
def test_the_official_examples_come_back_equivalent(path: Path) -> None:
    original = path.read_bytes()
    alert = _alert(original)
    back = to_cap_xml(alert)
    assert _canonical(parse_cap(back, LIMIT)) == _canonical(parse_cap(original, LIMIT))
    assert _alert(back) == alert


def test_there_are_four_official_examples() -> None:
    assert len(OFFICIAL) == 4


def test_rax_fields_travel_as_codes() -> None:
    alert = _alert(OFFICIAL[0].read_bytes()).model_copy(
        update={"plates": ("川A12345",), "target_regions": ("510521",), "category": Category.STOLEN_VEHICLE}
    )
    again = _alert(to_cap_xml(alert))
    assert again.plates == ("川A12345",) and again.target_regions == ("510521",)
    assert again.category.value == "stolen_vehicle"


_MINIMAL = (
    '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>X-1</identifier><sender>a@b</sender>'
    "<sent>2024-05-01T08:00:00+08:00</sent><status>Actual</status><msgType>{t}</msgType><scope>Public</scope>"
    "{extra}</alert>"
)


_ENTITY = b'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY a "x">]><alert>&a;</alert>'
_EXTERNAL = b'<!DOCTYPE alert SYSTEM "http://evil.example/x.dtd"><alert/>'
_XINCLUDE = '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd"/>'
_BAD = DlqReason.BAD_SOURCE_RECORD


@pytest.mark.parametrize(
    ("data", "reason", "why"),
    [
        (_ENTITY, _BAD, "unsafe"),
        (_EXTERNAL, _BAD, "unsafe"),
        (_MINIMAL.format(t="Alert", extra=_XINCLUDE).encode(), _BAD, "XInclude"),
        (b"<alert", _BAD, "well-formed"),
        (_MINIMAL.format(t="Warning", extra="").encode(), DlqReason.SCHEMA_VIOLATION, "XSD"),
        (b"<other/>", DlqReason.SCHEMA_VIOLATION, "not a CAP"),
        (b"<alert>" + b" " * LIMIT + b"</alert>", DlqReason.TOO_LARGE, "limit"),
    ],
)
def test_unsafe_or_invalid_xml_is_refused_with_a_reason(data: bytes, reason: DlqReason, why: str) -> None:
    with pytest.raises(CapError, match=why) as caught:
        parse_cap(data, LIMIT)
    assert caught.value.reason is reason


def test_an_update_without_references_is_rejected_with_the_rule() -> None:
    root = parse_cap(_MINIMAL.format(t="Update", extra="").encode(), LIMIT)  # valid for the XSD
    fields = alert_fields(root, sender_region="510000", default_category="other")
    with pytest.raises(Rejection, match="references: required for msgType Update"):
        validate(RecordKind.ALERTS, fields, "510000")


def test_an_update_with_references_passes() -> None:
    extra = "<references>a@b,X-0,2024-05-01T07:00:00+08:00</references>"
    alert = _alert(_MINIMAL.format(t="Update", extra=extra).encode())
    assert alert.references[0].identifier == "X-0"
