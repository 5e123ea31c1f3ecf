"""OASIS EDXL-DE 1.0 distributions: the CAP alerts embedded in one, and its id and sender as provenance.

An ``<EDXLDistribution>`` carries content objects; a CAP alert travels as
``contentObject/xmlContent/embeddedXMLContent/alert``. Each embedded alert is one message; content
objects that hold no alert (a map, a PDF) are counted so the connector can report them.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from connectors.cap.errors import CapError
from schemas.dlq import DlqReason

__all__ = ["DISTRIBUTION_TAG", "EDXL_DE_NS", "Unwrapped", "unwrap"]

EDXL_DE_NS = "urn:oasis:names:tc:emergency:EDXL:DE:1.0"
DISTRIBUTION_TAG = f"{{{EDXL_DE_NS}}}EDXLDistribution"
_E = f"{{{EDXL_DE_NS}}}"


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """What a distribution holds: its alert elements (not yet checked), its id and sender, what else."""

    alerts: list[Element]
    distribution: dict[str, str]
    skipped: int = 0


def _text(el: Element, name: str) -> str | None:
    child = el.find(_E + name)
    text = child.text.strip() if child is not None and child.text is not None else ""
    return text or None


def unwrap(root: Element) -> Unwrapped:
    """The embedded alerts of an ``<EDXLDistribution>``; raises ``CapError`` if it embeds none."""
    dist_id, sender = _text(root, "distributionID"), _text(root, "senderID")
    if dist_id is None or sender is None:
        raise CapError("EDXL-DE distribution without distributionID or senderID", DlqReason.SCHEMA_VIOLATION)
    alerts: list[Element] = []
    skipped = 0
    for obj in root.findall(_E + "contentObject"):
        embedded = obj.find(f"{_E}xmlContent/{_E}embeddedXMLContent")
        found = [] if embedded is None else [c for c in embedded if str(c.tag).rpartition("}")[2] == "alert"]
        alerts += found
        skipped += not found
    if not alerts:
        raise CapError(
            f"EDXL-DE distribution {dist_id} embeds no CAP alert "
            "(contentObject/xmlContent/embeddedXMLContent/alert)",
            DlqReason.SCHEMA_VIOLATION,
        )
    return Unwrapped(alerts, {"distribution_id": dist_id, "sender_id": sender}, skipped)
