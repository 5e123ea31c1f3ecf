"""Benchmark of the evaluation app: records/s it keeps up with (and its lag), and event → current scorecard.

Run: ``PYTHONPATH=. python bench/bench_evaluate.py`` (starts a throughput-profile broker in a temporary
directory; ``--bootstrap host:port`` uses a running one). It creates a zone's topics in a fresh
namespace for four regions, then

* throughput: pre-produces ``--records`` input records (half checkpoint reads, a quarter audit
  disclosures, a quarter acknowledgements of them; times within the last hour), starts
  ``rax run evaluate`` and measures the rate at which it counts them (``rax_evaluate_records_total``
  on its ``/metrics``) and its lag (records produced − counted) while it catches up;
* freshness: then sends ``--rate`` records per second of the same mix for ``--seconds``, and once a
  second a delivery to a probe region that has no other traffic; per probe, the time from its
  acknowledged send to the probe region's current hour scorecard on the web view counting it.

Prints the figures and writes them to ``bench/results/evaluate.json`` with the machine's description.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka.admin import NewTopic

from bench.common import (
    machine,
    metric_total,
    percentiles,
    proc_cpu_seconds,
    proc_memory_mb,
    save_json,
    scrape,
    stop_process,
)
from ops.kafka import LocalCluster
from ops.kafka.ports import free_port
from schemas.audit import audit_id
from schemas.delivery import delivery_id
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ("510000", "500000", "500153", "510521")
PROBE = "510500"  # 泸州: receives only the probes


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def _audit(did: str, recipient: str, at: float) -> bytes:
    return orjson.dumps(
        {"audit_id": audit_id(did), "delivery_id": did, "kind": "alert", "recipient": recipient,
         "owner": "510000", "subject_id": "bench-alert", "decision": "disclosed", "reason": "agreement",
         "agreement_id": "bench", "purpose": "interception", "at": _iso(at), "source_time": _iso(at)}
    )  # fmt: skip


def _ack(did: str, region: str, at: float) -> bytes:
    return orjson.dumps(
        {"ack_id": str(uuid.uuid4()), "delivery_id": did, "region": region, "outcome": "received",
         "at": _iso(at), "operator": "bench-0001"}
    )  # fmt: skip


def _hit(region: str, n: int, at: float) -> bytes:
    return orjson.dumps(
        {"event_id": str(uuid.uuid4()), "checkpoint_id": f"{region}-KK-{n % 40:04d}", "region": region,
         "plate": "川A12345", "plate_colour": "blue", "pass_time": _iso(at - 2)}
    )  # fmt: skip


def mix(cat: Catalogue, n: int, now: float) -> list[tuple[str, bytes, bytes]]:
    """``n`` records of the mix (topic, key, value): per 4, two reads, one disclosure and its ack."""
    out = []
    for i in range(0, n, 4):
        region = REGIONS[(i // 4) % len(REGIONS)]
        did = delivery_id(str(uuid.uuid4()), "bench-alert", region)
        at = now - (n - i) / max(n, 1) * 1800
        out += [
            (cat.in_hits(region), b"p", _hit(region, i, at)),
            (cat.in_hits(region), b"p", _hit(region, i + 1, at)),
            (cat.audit, did.encode(), _audit(did, region, at)),
            (cat.in_acks(region), did.encode(), _ack(did, region, at + 30)),
        ]
    return out[:n]


def produce(kafka: KafkaSettings, records: list[tuple[str, bytes, bytes]]) -> None:
    producer = ClientFactory(kafka, "bench-evaluate").producer({"linger.ms": 20})
    for topic, key, value in records:
        while True:
            try:
                producer.produce(topic, value, key)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    assert producer.flush(60) == 0


def counted(port: int) -> int:
    try:
        return int(metric_total(scrape(f"http://127.0.0.1:{port}/metrics"), "rax_evaluate_records_total"))
    except OSError:
        return -1


def throughput(port: int, total: int, pid: int) -> dict[str, Any]:
    """Samples the count until every record is counted: the rate, the CPU and the lag over time.

    ``app_cpu_us_per_record`` is the app's CPU from its start (imports, joining the group) over the
    records, the figure earlier runs reported; ``..._counting`` only the CPU while it counted (from the
    first sample with a count to the last), the per-record cost without the start-up.
    """
    samples: list[tuple[float, int, float]] = []  # (monotonic time, records counted, app CPU seconds)
    cpu0 = proc_cpu_seconds(pid)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        n = counted(port)
        samples.append((time.monotonic(), n, proc_cpu_seconds(pid)))
        if n >= total:
            break
        time.sleep(0.5)
    cpu = proc_cpu_seconds(pid) - cpu0
    memory = proc_memory_mb(pid)
    moving = [s for s in samples if s[1] > 0]
    first, last = moving[0], moving[-1]
    rate = (last[1] - first[1]) / (last[0] - first[0]) if last[0] > first[0] else 0.0
    lags = [total - n for _, n, _ in moving]
    return {
        "records": total,
        "counted": last[1],
        "seconds": round(last[0] - first[0], 1),
        "rate_per_s": round(rate, 1),
        "lag_records": {"start": lags[0], "max": max(lags), "end": lags[-1]},
        "app_cpu_us_per_record": round(cpu / max(last[1], 1) * 1e6, 1),
        "app_cpu_us_per_record_counting": round((last[2] - first[2]) / max(last[1] - first[1], 1) * 1e6, 1),
        "app_memory_mb": {k: round(v) for k, v in memory.items()},
    }


def card_owed(port: int, hour: str) -> int:
    """Deliveries the probe region owes in the hour starting at ``hour`` (ISO), as the web view says."""
    try:
        url = f"http://127.0.0.1:{port}/scorecards/{PROBE}/hour/{hour}"
        with urllib.request.urlopen(url, timeout=2) as r:
            return int(orjson.loads(r.read())["acknowledge"]["owed"])
    except OSError:
        return 0


def freshness(kafka: KafkaSettings, cat: Catalogue, port: int, rate: float, seconds: float) -> dict[str, Any]:
    """Load at ``rate`` in the background; one probe delivery a second, timed to the current scorecard."""
    stop = threading.Event()

    def load() -> None:
        producer = ClientFactory(kafka, "bench-load").producer({"linger.ms": 5})
        sent, start = 0, time.monotonic()
        while not stop.is_set():
            due = int((time.monotonic() - start) * rate)
            if due > sent:
                for topic, key, value in mix(cat, due - sent, time.time()):
                    producer.produce(topic, value, key)
                sent = due
            producer.poll(0)
            time.sleep(0.01)
        producer.flush(30)

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    probes = ClientFactory(kafka, "bench-probe").producer({"linger.ms": 0})
    delays: list[float] = []
    per_hour: dict[str, int] = {}  # probes sent per hour of their time: the hour card must count them
    for _ in range(int(seconds)):
        did = delivery_id(str(uuid.uuid4()), "bench-alert", PROBE)
        at = time.time()
        hour = datetime.fromtimestamp(at // 3600 * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        per_hour[hour] = per_hour.get(hour, 0) + 1
        probes.produce(cat.audit, _audit(did, PROBE, at), did.encode())
        assert probes.flush(10) == 0
        sent = time.monotonic()
        while card_owed(port, hour) < per_hour[hour] and time.monotonic() - sent < 120:
            time.sleep(0.05)
        delays.append(time.monotonic() - sent)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - sent)))
    stop.set()
    loader.join(30)
    return {
        "rate_per_s": rate,
        "probes": len(delays),
        "event_to_scorecard_s": percentiles(delays, (50, 90, 99)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", help="a running broker; default: start one in a temporary directory")
    parser.add_argument("--records", type=int, default=400_000, help="records of the catch-up run")
    parser.add_argument("--rate", type=float, default=2000.0, help="records/s of load during the probes")
    parser.add_argument("--seconds", type=float, default=30.0, help="probes (one a second)")
    parser.add_argument("--tick", type=float, default=5.0, help="the app's --tick")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rax-bench-evaluate-"))
    cluster = None
    if args.bootstrap:
        kafka = KafkaSettings(bootstrap_servers=args.bootstrap)
    else:
        cache = Path(os.environ.get("RAX_CACHE", Path.home() / ".cache" / "rax"))
        cluster = LocalCluster(tmp / "kafka", cache_dir=cache, jvm_profile="throughput")
        kafka = KafkaSettings(bootstrap_servers=cluster.start(nodes=1).bootstrap_servers)
    cat = Catalogue(f"bench{uuid.uuid4().hex[:8]}")
    specs = cat.all_topics([*REGIONS, PROBE], hit_partitions=6, shared_partitions=6)
    admin = ClientFactory(kafka, "bench-admin").admin()
    for fut in admin.create_topics(
        [NewTopic(s.name, s.partitions, 1, config=s.configs()) for s in specs]
    ).values():
        fut.result()
    started = time.monotonic()
    produce(kafka, mix(cat, args.records, time.time()))
    produced_s = time.monotonic() - started
    port = free_port()
    log = (tmp / "evaluate.log").open("wb")
    argv = [sys.executable, "-m", "ops.cli", "run", "evaluate", "--bootstrap", kafka.bootstrap_servers]
    argv += ["--namespace", cat.namespace, "--web-port", str(port), "--tick", str(args.tick)]
    worker = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        result: dict[str, Any] = {"machine": machine(), "args": vars(args), "produce_s": round(produced_s, 1)}
        result["throughput"] = throughput(port, args.records, worker.pid)
        print("catch-up:", result["throughput"], flush=True)
        result["freshness"] = freshness(kafka, cat, port, args.rate, args.seconds)
        print("event -> current scorecard:", result["freshness"], flush=True)
        out = ROOT / "bench" / "results" / "evaluate.json"
        save_json(out, result)
        print("written to", out)
    finally:
        stop_process(worker)
        log.close()
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
