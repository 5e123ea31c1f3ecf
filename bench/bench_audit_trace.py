"""Benchmark of `rax audit trace`: how long a plate's trace takes over N audit records on one broker.

Run: ``PYTHONPATH=. python bench/bench_audit_trace.py [--records 1000000]`` (starts a throughput-profile
broker in a temporary directory; ``--bootstrap host:port`` uses a running one). It fills ``rax.audit``
of a fresh namespace (6 partitions, lz4) with match-disclosure records of random plates, among them
``--plate-records`` disclosures of the traced plate spread evenly over the log, each with an
acknowledgement keyed by its delivery. Then it times, for that plate:

* the scan without an index (``--scan-runs``; every record read once, the byte filter);
* ``rax audit index`` building the index from nothing (records indexed per second);
* the trace with the index (``--runs``): lookups, point reads, and the (empty) unindexed tail.

Writes ``bench/results/audit_trace.json`` with the machine's description.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka.admin import NewTopic

from bench.common import machine, save_json
from ops.audit import AuditIndex, Query, ScanResult, TraceSubject, scan_audit
from ops.kafka import LocalCluster
from schemas.audit import AuditAct, AuditReason, AuditRecord, Decision, audit_id
from schemas.base import digest_id
from schemas.codec import encode
from schemas.delivery import DeliveryKind
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

ROOT = Path(__file__).resolve().parent.parent
TARGET = "川E12345"
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def template() -> dict[str, Any]:
    """A match disclosure as the hot path writes it, as a dict to vary."""
    did = digest_id("x")
    now = datetime.now(UTC)
    record = AuditRecord(
        audit_id=audit_id(did),
        delivery_id=did,
        kind=DeliveryKind.MATCH,
        recipient="500000",
        owner="510000",
        subject_id=str(uuid.uuid4()),
        plates=(TARGET,),
        hit_region="510521",
        decision=Decision.DISCLOSED,
        reason=AuditReason.AGREEMENT,
        agreement_id="cy-2024-sc-cq",
        read_agreement_id="lx-to-cq",
        purpose="interception",
        at=now,
        source_time=now,
    )
    fields: dict[str, Any] = orjson.loads(encode(record))
    return fields


def ack_of(did: str) -> bytes:
    record_id = digest_id("ack", did)
    now = datetime.now(UTC)
    return encode(
        AuditRecord(
            audit_id=audit_id(record_id),
            delivery_id=record_id,
            kind=DeliveryKind.MATCH,
            recipient="500000",
            owner="500000",
            subject_id="entry",
            decision=Decision.DISCLOSED,
            reason=AuditReason.OWNER,
            at=now,
            source_time=now,
            act=AuditAct.ACKNOWLEDGED,
            actor="500000-0001",
            refers_to=did,
            detail="received",
        )
    )


def fill(kafka: KafkaSettings, cat: Catalogue, records: int, every: int) -> tuple[int, float]:
    """Write ``records`` audit records (plus the target's acks); returns (target disclosures, seconds)."""
    admin = ClientFactory(kafka, "bench-admin").admin()
    for fut in admin.create_topics([NewTopic(cat.audit, 6, 1)]).values():
        fut.result()
    producer = ClientFactory(kafka, "bench-audit").producer(
        {
            "linger.ms": 50,
            "batch.size": 1_000_000,
            "compression.type": "lz4",
            "queue.buffering.max.messages": 1_000_000,
        }
    )
    base = template()
    rng = random.Random(7)
    targets = 0
    began = time.perf_counter()
    for i in range(records):
        did = f"{i:032x}"
        target = i % every == 0
        plate = (
            TARGET if target else f"渝{rng.choice(_LETTERS)}{rng.randrange(10**5):05d}"
        )  # never the target
        value = orjson.dumps({**base, "audit_id": audit_id(did), "delivery_id": did, "plates": [plate]})
        while True:
            try:
                producer.produce(cat.audit, value, did.encode())
                break
            except BufferError:
                producer.poll(0.05)
        if target:
            targets += 1
            producer.produce(cat.audit, ack_of(did), did.encode())
        if i % 10_000 == 0:
            producer.poll(0)
    assert producer.flush(300) == 0
    return targets, time.perf_counter() - began


def _timed(found: ScanResult, targets: int) -> dict[str, Any]:
    assert len(found.records) >= 2 * targets, (len(found.records), targets)  # disclosures and their acks
    return {
        "read": found.scanned,
        "decoded": found.decoded,
        "found": len(found.records),
        "seconds": round(found.seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", help="a running broker; default: start one in a temporary directory")
    parser.add_argument("--records", type=int, default=1_000_000, help="audit records to fill")
    parser.add_argument("--plate-records", type=int, default=100, help="disclosures of the traced plate")
    parser.add_argument("--runs", type=int, default=3, help="indexed traces timed")
    parser.add_argument("--scan-runs", type=int, default=1, help="traces without the index timed")
    parser.add_argument("--namespace", default=None, help="reuse the audit log an earlier run filled")
    args = parser.parse_args()
    cluster = None
    if args.bootstrap:
        kafka = KafkaSettings(bootstrap_servers=args.bootstrap)
    else:
        cache = Path(os.environ.get("RAX_CACHE", Path.home() / ".cache" / "rax"))
        tmp = Path(tempfile.mkdtemp(prefix="rax-bench-trace-"))
        cluster = LocalCluster(tmp / "kafka", cache_dir=cache, jvm_profile="throughput")
        kafka = KafkaSettings(bootstrap_servers=cluster.start(nodes=1).bootstrap_servers)
    try:
        if args.namespace:  # filled by an earlier run
            cat, targets, fill_s = Catalogue(args.namespace), args.plate_records, 0.0
        else:
            cat = Catalogue(f"bench{uuid.uuid4().hex[:8]}")
            every = max(1, args.records // args.plate_records)
            targets, fill_s = fill(kafka, cat, args.records, every)
        print(f"filled {args.records} records ({targets} of {TARGET}, each acknowledged) in {fill_s:.1f} s")
        query = Query.of(TraceSubject.PLATE, TARGET)
        scans = [
            _timed(scan_audit(kafka, cat, query, group="bench-trace", timeout=1800), targets)
            for _ in range(args.scan_runs)
        ]
        for run in scans:
            print(f"scan:    {run}")
        index = AuditIndex(Path(tempfile.mkdtemp(prefix="rax-bench-index-")) / "index.sqlite")
        indexed, index_s = index.update(kafka, cat)
        print(f"index:   {indexed} records in {index_s:.1f} s = {indexed / index_s:,.0f} records/s")
        runs = [
            _timed(scan_audit(kafka, cat, query, group="bench-trace", index=index), targets)
            for _ in range(args.runs)
        ]
        for run in runs:
            print(f"indexed: {run}")
        index.close()
        save_json(
            ROOT / "bench" / "results" / "audit_trace.json",
            {
                "machine": machine(),
                "records": args.records,
                "plate_disclosures": targets,
                "fill_seconds": round(fill_s, 1),
                "scan": scans,
                "index_build": {"records": indexed, "seconds": round(index_s, 1)},
                "indexed_trace": runs,
            },
        )
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
