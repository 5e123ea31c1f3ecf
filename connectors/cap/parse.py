"""Safe CAP 1.2 parsing: a size limit, no DTDs, entities, external references or XInclude, the official XSD.

A document is one CAP ``<alert>`` or an EDXL-DE 1.0 distribution of them (``connectors.cap.edxl``).
XML-DSig elements in an alert are checked only for being well-formed: the XSD lets them in with
``processContents="lax"`` and no XML-DSig schema is loaded, so none is validated against one (xmlschema
would otherwise fetch its bundled copy and validate strictly). They are kept as received
(``connectors.cap.signature``); verifying them is not done here.

Exceptions: ``CapError`` (a ``ValueError``) with a bounded ``reason`` and a message that says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import xmlschema
from defusedxml import DefusedXmlException

from connectors.cap.edxl import DISTRIBUTION_TAG, unwrap
from connectors.cap.errors import CapError
from connectors.cap.signature import dsig_elements
from schemas.alerts import DSIG_NS
from schemas.dlq import DlqReason

__all__ = [
    "ALERT_TAG",
    "CAP_NS",
    "CapDocument",
    "CapError",
    "CapMessage",
    "parse_cap",
    "read_document",
    "schema",
]

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ALERT_TAG = f"{{{CAP_NS}}}alert"
_XINCLUDE_NS = "{http://www.w3.org/2001/XInclude}"
_DSIG = f"{{{DSIG_NS}}}"


@dataclass(frozen=True, slots=True)
class CapMessage:
    """One validated CAP alert: its element, its XML-DSig elements as canonical XML, its distribution."""

    root: Element
    signatures: tuple[str, ...] = ()
    distribution: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class CapDocument:
    """What a document holds: each alert (or why it is refused), and EDXL-DE content that is no alert."""

    messages: list[CapMessage | CapError] = field(default_factory=list)
    skipped: int = 0


@cache
def schema() -> Any:
    """The official CAP 1.2 XSD (shipped inside this package), loaded once; no fallback schemas.

    ``use_fallback=False``: the XSD's ``<any namespace="…xmldsig#" processContents="lax">`` then finds no
    XML-DSig declarations and checks those elements for nothing but being well-formed.
    """
    path = resources.files("connectors.cap").joinpath("CAP-v1.2.xsd")
    with resources.as_file(path) as xsd:
        return xmlschema.XMLSchema(str(xsd), use_fallback=False)


def _safe_parse(data: bytes, max_bytes: int) -> Element:
    if len(data) > max_bytes:
        raise CapError(
            f"CAP message of {len(data)} bytes is over the limit of {max_bytes}", DlqReason.TOO_LARGE
        )
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise CapError(f"refused unsafe XML: {exc!r}", DlqReason.BAD_SOURCE_RECORD) from None
    except ParseError as exc:
        raise CapError(f"not well-formed XML: {exc}", DlqReason.BAD_SOURCE_RECORD) from None
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith(_XINCLUDE_NS):
            raise CapError("refused unsafe XML: XInclude is not allowed", DlqReason.BAD_SOURCE_RECORD)
    return root


def _check_alert(el: Element) -> None:
    if el.tag != ALERT_TAG:
        raise CapError(f"not a CAP 1.2 alert: root element is {el.tag}", DlqReason.SCHEMA_VIOLATION)
    error = next(iter(schema().iter_errors(el)), None)
    if error is not None:
        where = f" at {error.path}" if getattr(error, "path", None) else ""
        raise CapError(
            f"not valid against the CAP 1.2 XSD{where}: {error.reason}", DlqReason.SCHEMA_VIOLATION
        )


def parse_cap(data: bytes, max_bytes: int) -> Element:
    """The validated ``<alert>`` element of a bare CAP document ``data``; raises ``CapError``."""
    root = _safe_parse(data, max_bytes)
    _check_alert(root)
    return root


def _signed(alerts: list[Element]) -> bool:
    return any(str(c.tag).startswith(_DSIG) for a in alerts for c in a)


def read_document(data: bytes, max_bytes: int) -> CapDocument:
    """Every CAP alert of ``data``: a bare ``<alert>``, or each alert an EDXL-DE distribution embeds.

    Raises ``CapError`` for the document as a whole (too large, unsafe, not well-formed, neither CAP
    nor EDXL-DE, a distribution without alerts); an embedded alert that is invalid is returned as its
    ``CapError`` among the messages, so the others still go through.
    """
    root = _safe_parse(data, max_bytes)
    distribution, skipped = None, 0
    if root.tag == DISTRIBUTION_TAG:
        unwrapped = unwrap(root)
        alerts, distribution, skipped = unwrapped.alerts, unwrapped.distribution, unwrapped.skipped
    else:
        alerts = [root]
    by_alert = {id(el): i for i, el in enumerate(root.iter(ALERT_TAG))}
    signatures = dsig_elements(data, ALERT_TAG) if _signed(alerts) else []
    out: list[CapMessage | CapError] = []
    for el in alerts:
        try:
            _check_alert(el)
        except CapError as exc:
            out.append(exc)
            continue
        sigs = signatures[by_alert[id(el)]] if signatures else ()
        if len(sigs) != sum(str(c.tag).startswith(_DSIG) for c in el):
            out.append(CapError("the XML-DSig elements could not be kept", DlqReason.BAD_SOURCE_RECORD))
            continue
        out.append(CapMessage(el, sigs, distribution))
    return CapDocument(out, skipped)
