"""A console's trace kept to its own region: only the audit records its region is a party to (pure).

A region is a party to a record when it is the record's owner (its data, or it acted: an act record
names the acting region as owner), its recipient (given or refused it, or it ran the trace), or the
region a deadline breach blames. Where a plate was merely seen (``hit_region``) is not enough: a read
in region A delivered to region B is B's delivery, and A's supervisors may not learn what B received.
"""

from __future__ import annotations

from collections.abc import Iterable

from schemas.audit import AuditRecord
from schemas.delivery import DeliveryKind

__all__ = ["concerns", "scoped"]


def _blamed(record: AuditRecord) -> str | None:
    """The region a breach record says did not answer in time (its detail starts with it, as the control
    app writes it and ``ops.audit.timeline`` reads it)."""
    if record.kind != DeliveryKind.DEADLINE_BREACH or not record.detail:
        return None
    first = record.detail.split(" ", 1)[0]
    return first if first.isdigit() else None


def concerns(record: AuditRecord, region: str) -> bool:
    """Whether ``region`` is a party to ``record``: owner, recipient, or the region a breach blames."""
    return region in (record.owner, record.recipient) or _blamed(record) == region


def scoped(records: Iterable[AuditRecord], region: str) -> list[AuditRecord]:
    """The records of a trace that ``region``'s console may show, in their order."""
    return [r for r in records if concerns(r, region)]
