"""Safe CAP 1.2 parsing: a size limit, no DTDs, entities, external references or XInclude, the official XSD.

Exceptions: ``CapError`` (a ``ValueError``) with a bounded ``reason`` and a message that says why.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import xmlschema
from defusedxml import DefusedXmlException

from schemas.dlq import DlqReason

__all__ = ["CAP_NS", "CapError", "parse_cap", "schema"]

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
_XINCLUDE_NS = "{http://www.w3.org/2001/XInclude}"


class CapError(ValueError):
    """A CAP document that is refused; ``reason`` is the DLQ reason code."""

    def __init__(self, message: str, reason: DlqReason) -> None:
        super().__init__(message)
        self.reason = reason


@cache
def schema() -> Any:
    """The official CAP 1.2 XSD (shipped inside this package), loaded once."""
    path = resources.files("connectors.cap").joinpath("CAP-v1.2.xsd")
    with resources.as_file(path) as xsd:
        return xmlschema.XMLSchema(str(xsd))


def parse_cap(data: bytes, max_bytes: int) -> Element:
    """The validated ``<alert>`` element of ``data``; raises ``CapError``."""
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
    if root.tag != f"{{{CAP_NS}}}alert":
        raise CapError(f"not a CAP 1.2 alert: root element is {root.tag}", DlqReason.SCHEMA_VIOLATION)
    error = next(iter(schema().iter_errors(root)), None)
    if error is not None:
        where = f" at {error.path}" if getattr(error, "path", None) else ""
        raise CapError(
            f"not valid against the CAP 1.2 XSD{where}: {error.reason}", DlqReason.SCHEMA_VIOLATION
        )
    return root
