"""The audit record of an audit trace: reading the audit log is itself audited (who asked, about what)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from ops.audit.query import Query, TraceSubject
from schemas.audit import TRACE_KIND, AuditAct, AuditReason, AuditRecord, Decision, audit_id
from schemas.base import digest_id
from schemas.codec import encode
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

__all__ = ["record_trace", "trace_record"]


def trace_record(query: Query, region: str, operator: str, detail: str, now: datetime) -> AuditRecord:
    """The act record of one trace run by ``operator`` for ``region`` (the asking region is both the
    record's recipient and owner: it was given its own view of the log)."""
    record_id = digest_id("trace", str(uuid.uuid4()))
    return AuditRecord(
        audit_id=audit_id(record_id),
        delivery_id=record_id,
        kind=TRACE_KIND,
        recipient=region,
        owner=region,
        subject_id=query.label() if query.subject == TraceSubject.PLATE else query.value[:128],
        plates=(query.value,) if query.subject == TraceSubject.PLATE else (),
        decision=Decision.DISCLOSED,
        reason=AuditReason.OWNER,
        at=now,
        source_time=now,
        act=AuditAct.TRACED,
        actor=operator,
        detail=detail[:1000],
        refers_to=query.value if query.subject == TraceSubject.DELIVERY else None,
    )


def record_trace(
    settings: KafkaSettings, cat: Catalogue, query: Query, region: str, operator: str, detail: str
) -> AuditRecord:
    """Write the trace's audit record to ``rax.audit`` and wait for Kafka (``RuntimeError`` if not)."""
    record = trace_record(query, region, operator, detail, datetime.now(UTC))
    producer = ClientFactory(settings, f"audit-trace@{region}").producer()
    errors: list[Any] = []
    producer.produce(
        cat.audit,
        encode(record),
        record.delivery_id.encode(),
        on_delivery=lambda err, _m: errors.append(err) if err else None,
    )
    if producer.flush(30) or errors:
        raise RuntimeError(f"the trace's audit record was not written: {errors or 'timed out'}")
    return record
