"""What an accountability trace asks for, and how its records are recognised before and after decoding.

A trace names one subject: a plate, a watchlist entry, a delivery, a cooperation request or a special
operation. ``rax.audit`` is scanned once; a record is decoded only if its raw bytes contain the
subject's JSON string (``needle``) or its key is a delivery already found (act and breach records are
keyed by the delivery they concern, so they follow its disclosure in one partition): most of ten
million records are skipped by one substring search, never parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import orjson

from schemas.audit import AuditRecord
from schemas.fields import normalised_plate_text

__all__ = ["Query", "TraceSubject"]


class TraceSubject(StrEnum):
    """What is traced."""

    PLATE = "plate"
    ENTRY = "entry"
    DELIVERY = "delivery"
    REQUEST = "request"
    OPERATION = "operation"


@dataclass(frozen=True, slots=True)
class Query:
    """One trace: ``subject`` and its ``value`` (a plate is normalised as the records store it)."""

    subject: TraceSubject
    value: str

    @classmethod
    def of(cls, subject: TraceSubject, value: str) -> Query:
        """The query, with a plate normalised (raises ``ValueError`` for what is no plate)."""
        text = value.strip()
        if subject == TraceSubject.PLATE:
            text = normalised_plate_text(text)
        if not text:
            raise ValueError(f"an empty {subject.value} cannot be traced")
        return cls(subject, text)

    @property
    def needle(self) -> bytes:
        """The value as a JSON string, as the audit record's bytes hold it (orjson writes UTF-8)."""
        return orjson.dumps(self.value)

    def label(self) -> str:
        """``subject:value``, as the trace's own audit record names it."""
        return f"{self.subject.value}:{self.value}"[:128]

    def selects(self, record: AuditRecord, key: bytes | None, followed: set[bytes]) -> bool:
        """Does the decoded ``record`` (read under ``key``) belong to the trace?

        ``followed``: delivery ids already in the trace; their act and breach records belong to it.
        """
        if key is not None and key in followed:
            return True
        if self.subject == TraceSubject.PLATE:
            return self.value in record.plates
        if self.subject == TraceSubject.DELIVERY:
            return self.value in (record.delivery_id, record.refers_to)
        return record.subject_id == self.value
