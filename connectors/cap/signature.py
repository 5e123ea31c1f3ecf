"""The XML-DSig elements of CAP alerts, kept as received: their bytes, made standalone and canonicalised.

Each ``<ds:Signature>`` (any child of an ``<alert>`` in the XML-DSig namespace) is cut out of the
document exactly as it came (expat reports where each element starts and ends), the namespace
declarations it inherits from its ancestors are written on it, and the result is canonicalised with
C14N 2.0 (``xml.etree.ElementTree.canonicalize``: unused declarations dropped, attributes sorted,
``<a/>`` as ``<a></a>``, character references normalised). Prefixes, whitespace and content stay as
received, so the element can be written back into a message and verified against its certificate by a
verifier that has the original document. Nothing here verifies anything.
"""

from __future__ import annotations

import codecs
import re
from xml.etree.ElementTree import ParseError, canonicalize
from xml.parsers import expat

from connectors.cap.errors import CapError
from schemas.alerts import DSIG_NS
from schemas.dlq import DlqReason

__all__ = ["dsig_elements"]

_TAG = re.compile(r"<[^\s/>]+")
_WIDE = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}


def _tag_end(data: bytes, start: int) -> int:
    """The index after the ``>`` that closes the tag starting at ``start`` (``>`` in quotes skipped)."""
    quote = 0
    for i in range(start, len(data)):
        byte = data[i]
        if quote:
            quote = 0 if byte == quote else quote
        elif byte in b"\"'":
            quote = byte
        elif byte == ord(">"):
            return i + 1
    raise CapError("not well-formed XML: an XML-DSig element does not end", DlqReason.BAD_SOURCE_RECORD)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def _canonical(raw: bytes, inherited: dict[str, str], encoding: str) -> str:
    try:
        text = raw.decode(encoding)
        head = _TAG.match(text)
        assert head is not None  # expat said an element starts here
        decls = "".join(
            f' xmlns{":" + p if p else ""}="{_attr(uri)}"' for p, uri in sorted(inherited.items())
        )
        return canonicalize(text[: head.end()] + decls + text[head.end() :])
    except (UnicodeDecodeError, ParseError) as exc:
        raise CapError(f"an XML-DSig element cannot be kept: {exc}", DlqReason.BAD_SOURCE_RECORD) from None


def dsig_elements(data: bytes, alert_tag: str) -> list[tuple[str, ...]]:
    """For each ``<alert>`` of ``data`` (document order), its XML-DSig child elements as canonical XML.

    ``alert_tag`` is the alert's ``{namespace}name``. Run it only on a document defusedxml accepted (no
    DTD, no entities). Raises ``CapError`` for a document in UTF-16 or UTF-32 (not supported here).
    """
    alert = alert_tag[1:].replace("}", " ")
    parser = expat.ParserCreate(namespace_separator=" ")
    encoding = ["utf-8"]
    scopes: list[dict[str, str]] = []  # namespace declarations of each open element
    pending: dict[str, str] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    # (depth, start, end of an empty element's tag or -1, inherited declarations)
    open_sig: list[tuple[int, int, int, dict[str, str]]] = []

    def declaration(version: str, enc: str | None, standalone: int) -> None:
        if enc:
            encoding[0] = enc
            if codecs.lookup(enc).name in _WIDE:
                raise CapError(
                    f"XML-DSig elements of a {enc} document cannot be kept: send it in UTF-8",
                    DlqReason.BAD_SOURCE_RECORD,
                )

    def ns_start(prefix: str | None, uri: str | None) -> None:
        pending[prefix or ""] = uri or ""

    def start(name: str, attrs: object) -> None:
        declared = dict(pending)
        pending.clear()
        if name == alert:
            found.append([])
        elif stack and stack[-1] == alert and name.startswith(DSIG_NS + " "):
            inherited: dict[str, str] = {}
            for scope in scopes:
                inherited |= scope
            for prefix in declared:
                inherited.pop(prefix, None)
            begin = parser.CurrentByteIndex
            tag_end = _tag_end(data, begin)
            empty = tag_end if data[tag_end - 2] == ord("/") else -1  # <x/>: expat ends it after the tag
            open_sig.append((len(stack), begin, empty, inherited))
        scopes.append(declared)
        stack.append(name)

    def end(name: str) -> None:
        stack.pop()
        scopes.pop()
        if open_sig and open_sig[-1][0] == len(stack):
            _, begin, empty, inherited = open_sig.pop()
            raw = data[begin : empty if empty >= 0 else _tag_end(data, parser.CurrentByteIndex)]
            found[-1].append(_canonical(raw, inherited, encoding[0]))

    parser.XmlDeclHandler = declaration
    parser.StartNamespaceDeclHandler = ns_start
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise CapError(f"not well-formed XML: {exc}", DlqReason.BAD_SOURCE_RECORD) from None
    return [tuple(sigs) for sigs in found]
