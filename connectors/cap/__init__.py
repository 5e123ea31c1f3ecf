"""The ``cap`` connector: CAP 1.2 XML <-> RAX alerts, parsed safely and validated against the XSD."""

from connectors.cap.config import CapConfig
from connectors.cap.mapping import alert_fields, message_fields
from connectors.cap.parse import CapDocument, CapError, CapMessage, parse_cap, read_document
from connectors.cap.source import CapSource
from connectors.cap.writer import to_cap_xml

__all__ = [
    "CapConfig",
    "CapDocument",
    "CapError",
    "CapMessage",
    "CapSource",
    "alert_fields",
    "message_fields",
    "parse_cap",
    "read_document",
    "to_cap_xml",
]
