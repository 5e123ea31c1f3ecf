"""Benchmark of a zone of hundreds of regions: `rax zone apply` on a secured broker, then the hot path.

Run: ``PYTHONPATH=. python bench/bench_zone.py`` (``--regions 300``; starts a secured one-node broker in a
temporary directory). It generates a 长三角-size zone (上海, 江苏, 浙江, 安徽 down to counties, from the
packaged region registry ``schemas/data/regions.csv``), with agreements between
each county and its city and between the provinces, then measures

* ``apply``: `rax zone apply` (topics, identities, ACLs, the zone published) from nothing, and again (a
  no-op); the topics, identities and ACLs it created;
* ``hot path``: `rax run hotpath` as the processors' identity, pattern-subscribed to every region's hits
  topic: seconds from start to ready, and the rate over ``--hits`` hits spread over every region
  (published as the operator: per-region identities are exercised by the ACL tests, not here).

Prints the figures and writes them to ``bench/results/zone.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import machine, metric_total, proc_cpu_seconds, scrape
from ops.kafka import LocalCluster
from ops.kafka.ports import free_port
from ops.zone import apply_zone
from ops.zone.plan import PROCESSORS_USER
from schemas.codec import encode
from schemas.hits import CheckpointHit
from schemas.topics import Catalogue
from schemas.zone import Zone
from streams.runtime import ClientFactory

ROOT = Path(__file__).resolve().parent.parent
#: 长三角: 上海, 江苏, 浙江, 安徽
PROVINCES = ("310000", "320000", "330000", "340000")
CATEGORIES = ["stolen_vehicle", "wanted_person_vehicle", "fugitive", "missing_person"]


def registry_file() -> Path:
    """The region registry (province, city, county), as packaged with the product."""
    return ROOT / "schemas" / "data" / "regions.csv"


def generate_zone(count: int, hit_partitions: int) -> Zone:
    """A zone of ``count`` regions of 长三角: the provinces first, then cities and counties in code order."""
    rows = list(csv.DictReader(registry_file().open(encoding="utf-8")))
    rows = [r for r in rows if r["code6"][:2] + "0000" in PROVINCES and r["name"] != "市辖区"]
    rows.sort(key=lambda r: ({"province": 0, "city": 1}.get(r["level"], 2), r["code6"]))
    chosen = rows[:count]
    codes = {r["code6"] for r in chosen}
    start = datetime(2024, 1, 1, tzinfo=UTC)
    agreements: list[dict[str, Any]] = []

    def agree(owner: str, recipient: str) -> None:
        agreements.append({"agreement_id": f"a-{owner}-{recipient}", "owner": owner, "recipient": recipient,
                           "categories": CATEGORIES, "purposes": ["investigation", "interception"],
                           "valid_from": start})  # fmt: skip

    for a in PROVINCES:
        for b in PROVINCES:
            if a != b and a in codes and b in codes:
                agree(a, b)
    adjacency = []
    for r in chosen:
        parent = r["parent_code6"]
        if r["level"] == "county" and parent not in codes:
            parent = r["code6"][:2] + "0000"  # a county whose city is not a member: its province
        if parent and parent in codes and parent != r["code6"]:
            agree(r["code6"], parent)
            agree(parent, r["code6"])
            adjacency.append((parent, r["code6"]))
    return Zone.model_validate(
        {
            "name": f"changsanjiao-{count}",
            "regions": [{"code": r["code6"], "name": r["name"]} for r in chosen],
            "adjacency": adjacency,
            "agreements": agreements,
            "topics": {"hit_partitions": hit_partitions, "shared_partitions": 6},
        }
    )


def hits(zone: Zone, count: int) -> list[tuple[str, bytes, bytes]]:
    """``count`` valid hits spread over every region's hits topic: (region, key, value)."""
    now = datetime.now(UTC)
    template = CheckpointHit(
        event_id=str(uuid.uuid4()), checkpoint_id="KK-0001", region=zone.regions[0].code, plate="沪A12345",
        plate_colour="blue", pass_time=now, received_at=now,
    )  # fmt: skip
    out = []
    codes = [r.code for r in zone.regions]
    for n in range(count):
        region = codes[n % len(codes)]
        plate = f"沪B{n % 100000:05d}"
        hit = template.model_copy(
            update={"event_id": str(uuid.uuid4()), "region": region, "plate": plate,
                    "pass_time": now - timedelta(seconds=60) + timedelta(microseconds=n)}
        )  # fmt: skip
        out.append((region, plate.encode(), encode(hit)))
    return out


def wait_ready(port: int, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2)
            return time.monotonic() - start
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the hot path was not ready in {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", type=int, default=300, help="regions of the generated zone")
    parser.add_argument("--hit-partitions", type=int, default=2, help="partitions of each hits topic")
    parser.add_argument("--hits", type=int, default=200_000, help="hits over every region's topic")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rax-bench-zone-"))
    cache = Path(os.environ.get("RAX_CACHE", Path.home() / ".cache" / "rax"))
    cluster = LocalCluster(tmp / "kafka", cache_dir=cache, jvm_profile="throughput")
    cluster.start(nodes=1, secure=True)
    admin = cluster.settings()
    credentials = tmp / "credentials.json"
    zone = generate_zone(args.regions, args.hit_partitions)
    cat = Catalogue("z" + uuid.uuid4().hex[:8])
    result: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    worker = None
    try:
        t0 = time.monotonic()
        report = apply_zone(zone, admin, cat, secure=True, credentials=credentials)
        first = time.monotonic() - t0
        t0 = time.monotonic()
        again = apply_zone(zone, admin, cat, secure=True, credentials=credentials)
        second = time.monotonic() - t0
        result["apply"] = {
            "regions": len(zone.regions), "agreements": len(zone.agreements),
            "seconds": round(first, 1), "again_seconds": round(second, 1), "again_changed": again.changed,
            "topics_created": len(report.created_topics), "users_created": len(report.created_users),
            "acls_created": report.created_acls,
            "hits_topics": sum(1 for t in report.created_topics if t.endswith(".hits")),
        }  # fmt: skip
        print("apply:", result["apply"], flush=True)
        passwords = json.loads(credentials.read_text())
        port = free_port()
        log = (tmp / "hotpath.log").open("wb")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RAX_KAFKA_PASSWORD": passwords[PROCESSORS_USER]}
        cmd = [sys.executable, "-m", "ops.cli", "run", "hotpath", "--bootstrap", admin.bootstrap_servers,
               "--username", PROCESSORS_USER, "--namespace", cat.namespace,
               "--web-port", str(port)]  # fmt: skip
        if admin.ssl_ca_location:
            cmd += ["--ca", admin.ssl_ca_location]
        t0 = time.monotonic()
        worker = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        ready = wait_ready(port, 300)
        records = hits(zone, args.hits)
        producer = ClientFactory(admin, "bench-zone").producer({"linger.ms": 20})
        cpu0 = proc_cpu_seconds(worker.pid)
        start = time.monotonic()
        for region, key, value in records:
            while True:
                try:
                    producer.produce(cat.in_hits(region), value, key)
                    break
                except BufferError:
                    producer.poll(0.05)
            producer.poll(0)
        producer.flush(60)
        done = 0.0
        while time.monotonic() - start < 600:
            done = metric_total(scrape(f"http://127.0.0.1:{port}/metrics"), "rax_hotpath_hits_total")
            if done >= args.hits:
                break
            time.sleep(0.25)
        took = time.monotonic() - start
        cpu = proc_cpu_seconds(worker.pid) - cpu0
        ccmd = [sys.executable, "-m", "ops.cli", "run", "control", "--bootstrap", admin.bootstrap_servers,
                "--username", PROCESSORS_USER, "--namespace", cat.namespace,
                "--web-port", str(cport := free_port())]  # fmt: skip
        if admin.ssl_ca_location:
            ccmd += ["--ca", admin.ssl_ca_location]
        t0 = time.monotonic()
        clog = (tmp / "control.log").open("wb")
        control = subprocess.Popen(ccmd, cwd=ROOT, env=env, stdout=clog, stderr=subprocess.STDOUT)
        try:
            control_ready = wait_ready(cport, 300)
        finally:
            control.terminate()
            control.wait(30)
        result["control"] = {
            "input_topics": 3 * len(zone.regions) + 1,
            "start_to_ready_s": round(control_ready, 1),
        }
        print("control:", result["control"], flush=True)
        result["hotpath"] = {
            "input_topics": len(zone.regions), "start_to_ready_s": round(ready, 1),
            "hits": int(done), "seconds": round(took, 1), "hits_per_s": round(done / took),
            "cpu_us_per_hit": round(cpu / max(done, 1) * 1e6, 1),
        }  # fmt: skip
        print("hot path:", result["hotpath"], flush=True)
        out = ROOT / "bench" / "results" / "zone.json"
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print("written to", out)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        cluster.stop()


if __name__ == "__main__":
    main()
