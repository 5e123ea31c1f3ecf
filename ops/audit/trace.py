"""One trace as `rax audit trace` runs it: scan, write the trace's own audit record, build the timeline."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from confluent_kafka import KafkaException

from ops.audit.index import AuditIndex
from ops.audit.query import Query
from ops.audit.record import record_trace
from ops.audit.scan import ScanResult, scan_audit
from ops.audit.timeline import Timeline, build_timeline
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue

__all__ = ["run_trace"]


def run_trace(
    settings: KafkaSettings,
    cat: Catalogue,
    query: Query,
    region: str,
    operator: str,
    *,
    since: datetime | None = None,
    timeout: float = 120.0,
    index_path: Path | None = None,
) -> tuple[ScanResult, Timeline]:
    """The records of ``query`` (through the index at ``index_path`` if it exists) and their timeline.

    The trace's audit record (``operator`` asking for ``region``) is written before anything is
    returned: ``RuntimeError`` / ``TimeoutError`` if it, or the scan, fails, and then nothing is shown.
    """
    idx = AuditIndex(index_path) if index_path is not None and index_path.exists() else None
    try:
        found = scan_audit(settings, cat, query, since=since, timeout=timeout, index=idx)
        record_trace(
            settings, cat, query, region, operator, f"{len(found.records)} records of {found.scanned} scanned"
        )
    except KafkaException as exc:  # e.g. no broker answers the metadata request: said, as promised above
        raise RuntimeError(f"Kafka: {exc.args[0].str() if exc.args else exc}") from exc
    finally:
        if idx is not None:
            idx.close()
    return found, build_timeline(found.records)
