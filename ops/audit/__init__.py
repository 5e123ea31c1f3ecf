"""Accountability (责任倒查): a trace of one plate, entry, delivery, request or operation from rax.audit."""

from ops.audit.index import AuditIndex
from ops.audit.query import Query, TraceSubject
from ops.audit.record import record_trace
from ops.audit.scan import ScanResult, scan_audit
from ops.audit.timeline import Timeline, build_timeline
from ops.audit.trace import run_trace

__all__ = [
    "AuditIndex",
    "Query",
    "ScanResult",
    "Timeline",
    "TraceSubject",
    "build_timeline",
    "record_trace",
    "run_trace",
    "scan_audit",
]
