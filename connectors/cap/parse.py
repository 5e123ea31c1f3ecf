"""Safe CAP 1.2 parsing: a size limit, no DTDs, entities, external references or XInclude, the official XSD.

A document is one CAP ``<alert>`` or an EDXL-DE 1.0 distribution of them (``connectors.cap.edxl``).
XML-DSig elements in an alert are checked only for being well-formed: the XSD lets them in with
``processContents="lax"`` and no XML-DSig schema is loaded, so none is validated against one (xmlschema
would otherwise fetch its bundled copy and validate strictly). They are kept as received
(``connectors.cap.signature``); verifying them is not done here.

A document declared in a multi-byte encoding other than UTF-8/16/32 (``GBK``, ``GB2312``, ``GB18030``,
``Big5`` …, as Chinese agencies' systems write) is decoded with Python's codec and read as UTF-8, its
declaration saying so: expat reads only UTF-8, UTF-16, ISO-8859-1 and ASCII by itself, and refuses
multi-byte encodings with a bare ``ValueError``.

Exceptions: ``CapError`` (a ``ValueError``) with a bounded ``reason`` and a message that says why.
"""

from __future__ import annotations

import codecs
import re
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
#: the XML declaration's encoding (after an optional UTF-8 BOM): group 2 is its name
_DECLARED = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<\?xml\s[^>]*?encoding\s*=\s*([\"'])([A-Za-z][A-Za-z0-9._-]*)\1"
)
_DECLARED_TEXT = re.compile(r"^(\ufeff?\s*<\?xml\s[^>]*?encoding\s*=\s*[\"'])[A-Za-z][A-Za-z0-9._-]*")
#: what expat reads itself (codecs' names); anything else declared is transcoded to UTF-8 first
_NATIVE = frozenset(["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be",
                     "ascii", "iso8859-1", "latin-1"])  # fmt: skip


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


def as_utf8(data: bytes) -> bytes:
    """``data`` as UTF-8 when its XML declaration names an encoding expat cannot read (``GBK`` …), with
    the declaration's encoding changed to UTF-8; otherwise ``data`` itself. Raises ``CapError``."""
    m = _DECLARED.match(data)
    if m is None:
        return data
    name = m.group(2).decode("ascii")
    try:
        if codecs.lookup(name).name in _NATIVE:
            return data
        text = data.decode(name)
    except LookupError:
        raise CapError(
            f"the XML declares an unknown encoding {name!r}", DlqReason.BAD_SOURCE_RECORD
        ) from None
    except UnicodeDecodeError as exc:
        raise CapError(
            f"the XML declares encoding {name} but is not written in it: {exc}", DlqReason.BAD_SOURCE_RECORD
        ) from None
    return _DECLARED_TEXT.sub(r"\g<1>UTF-8", text, count=1).encode("utf-8")


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
    except ValueError as exc:  # e.g. an encoding expat cannot read that ``as_utf8`` did not name
        raise CapError(f"unreadable XML: {exc}", DlqReason.BAD_SOURCE_RECORD) from None
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
    root = _safe_parse(as_utf8(data), max_bytes)
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
    data = as_utf8(data) if len(data) <= max_bytes else data  # the limit is on what was received
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
