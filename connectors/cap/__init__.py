"""The ``cap`` connector: CAP 1.2 XML <-> RAX alerts, parsed safely and validated against the XSD."""

from connectors.cap.config import CapConfig
from connectors.cap.mapping import alert_fields
from connectors.cap.parse import CapError, parse_cap
from connectors.cap.source import CapSource
from connectors.cap.writer import to_cap_xml

__all__ = ["CapConfig", "CapError", "CapSource", "alert_fields", "parse_cap", "to_cap_xml"]
