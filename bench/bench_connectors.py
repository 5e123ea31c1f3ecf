"""Benchmark of the connectors' sustained rates into a local broker, beside a bare producer loop.

Run: ``PYTHONPATH=. python bench/bench_connectors.py`` (starts its own throughput-profile broker in a
temporary directory; ``--bootstrap HOST:PORT`` uses a running one instead). In one run, into topics of
the same shape (6 partitions), it measures:

* a bare confluent-kafka loop (the same producer settings the runtime uses: idempotent, acks=all,
  murmur2, lz4, linger) producing pre-built simulator records, with and without a delivery callback;
* the ``simulator`` connector through the full runtime (rate 0 = as fast as it goes);
* the ``checkpoint-file`` connector reading a CSV file of pass records (full pydantic validation of
  every record) through the full runtime.

Each figure is records acknowledged by the broker per second, from the first produce to the last
acknowledgement, the best of ``--repeats`` runs (the machine is shared: other work makes figures
worse). The broker runs on the same cores, so every figure includes the broker's own cost. Prints
the figures and writes them to ``bench/results/connectors.json`` with the machine's description.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.checkpoint_file import CheckpointFileConfig, CheckpointFileSource
from connectors.sdk import Runtime, RuntimeConfig
from connectors.sdk.producer import batching
from connectors.simulator import SimulatorConfig, SimulatorSource
from connectors.simulator.logic import HitGenerator
from connectors.simulator.plates import vehicles
from connectors.simulator.zone import border_checkpoints
from ops.kafka import LocalCluster
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory
from tests.support.kafka import cache_dir, create_topics

ROOT = Path(__file__).resolve().parent.parent
REGION = "510000"


def machine() -> dict[str, Any]:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((x.split(":")[1].strip() for x in lines if x.startswith("model name")), "?")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average": os.getloadavg(),
    }


def _records(n: int) -> list[tuple[bytes, bytes]]:
    gen = HitGenerator(
        seed=1, region=REGION, source_id="bench", checkpoints=border_checkpoints("chuanyu", REGION),
        vehicles=vehicles(30_000, 1), duplicate_rate=0.2, misread_rate=0.03, block=4096,
    )  # fmt: skip
    now = datetime.now(UTC)
    out: list[tuple[bytes, bytes]] = []
    k = 0
    while len(out) < n:
        out += gen.generate(k, now)
        k += 1
    return out[:n]


def bare_loop(kafka: KafkaSettings, topic: str, records: list[tuple[bytes, bytes]], callback: bool) -> float:
    """A bare produce + poll(0) loop with the runtime's producer settings; records/s until flushed."""
    producer = ClientFactory(kafka, "bench-bare").producer(batching(RuntimeConfig(region=REGION)))
    errors = [0]

    def delivered(err: Any, _msg: Any) -> None:
        if err is not None:
            errors[0] += 1

    produce, poll = producer.produce, producer.poll
    # Connect first (metadata, the idempotent producer's PID) so the clock times producing, not the
    # client's start: the runtime's figures are timed from the first record read, after its producer
    # has connected while the source set up, and at small --records the start-up dominated the rate.
    produce(topic, records[0][1], records[0][0])
    producer.flush()
    start = time.perf_counter()
    for i, (key, value) in enumerate(records):
        while True:
            try:
                if callback:
                    produce(topic, value, key, on_delivery=delivered)
                else:
                    produce(topic, value, key)
                break
            except BufferError:
                poll(0.01)
        if not i & 1023:
            poll(0)
    producer.flush()
    elapsed = time.perf_counter() - start
    assert not errors[0], f"{errors[0]} delivery errors"
    return len(records) / elapsed


def through_runtime(kafka: KafkaSettings, namespace: str, source: Any, config: Any, n: int) -> float:
    """records/s of a connector through the full runtime, until ``n`` records are acknowledged."""
    runner = Runtime(source, config, RuntimeConfig(region=REGION, namespace=namespace), kafka)
    thread = threading.Thread(target=runner.run)
    start = time.perf_counter()
    first = None
    thread.start()
    while runner.report.records_out < n and thread.is_alive():
        if first is None and runner.report.records_in:
            first = time.perf_counter()
        time.sleep(0.005)
    end = time.perf_counter()
    runner.request_stop()
    thread.join()
    assert runner.report.records_out >= n and not runner.report.rejected, runner.report
    return n / (end - (first or start))


def write_csv(path: Path, records: list[tuple[bytes, bytes]]) -> None:
    """The simulator's records as a Chinese-named pass-record CSV file."""
    with path.open("w", encoding="utf-8") as f:
        f.write("kkbh,hphm,hpzl,hpys,gcsj,fxlx,cdbh,clsd\n")
        for i, (_, value) in enumerate(records):
            hit = json.loads(value)
            hms = f"{i // 3_600_000 % 24:02d}:{i // 60_000 % 60:02d}:{i // 1000 % 60:02d}"
            t = f"2024-05-01 {hms}.{i % 1000:03d}"
            f.write(f"{hit['checkpoint_id']},{hit['plate']},{hit['plate_type']},2,{t},{hit['direction']},"
                    f"{hit['lane']},{hit['speed_kmh']}\n")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bootstrap", help="use this broker instead of starting one")
    parser.add_argument(
        "--records", type=int, default=2_000_000, help="records for the bare loop and simulator"
    )
    parser.add_argument("--file-records", type=int, default=300_000, help="records for checkpoint-file")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each; the best counts (shared machine)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rax-bench-") as tmp:
        cluster = None
        if args.bootstrap:
            kafka = KafkaSettings(bootstrap_servers=args.bootstrap)
        else:
            cluster = LocalCluster(Path(tmp) / "kafka", cache_dir=cache_dir(), jvm_profile="throughput")
            kafka = cluster.start(nodes=1).admin_settings(cluster.run_dir)
        try:
            runs = [
                run(kafka, Path(tmp) / f"run{i}", args.records, args.file_records)
                for i in range(args.repeats)
            ]
            results = {name: max(r[name] for r in runs) for name in runs[0]}
        finally:
            if cluster is not None:
                cluster.stop()
    out = {"machine": machine(), "when": datetime.now(UTC).isoformat(), "records_per_second": results}
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "connectors.json").write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print(json.dumps(out["machine"]))
    for name, rate in results.items():
        print(f"{name:44} {rate:>12,.0f} records/s")


def run(kafka: KafkaSettings, tmp: Path, n: int, n_file: int) -> dict[str, float]:
    tmp.mkdir(parents=True)
    records = _records(n)
    results: dict[str, float] = {}
    for name in ("warmup", "bare", "bare_cb", "sim", "file"):
        catalogue = Catalogue(f"bench{name.replace('_', '')}{tmp.name}{os.getpid()}")
        create_topics(kafka, catalogue.region_topics(REGION, hit_partitions=6) + catalogue.shared_topics(3))
        topic = catalogue.in_hits(REGION)
        time.sleep(1)  # let the new partitions elect their leaders
        if name == "warmup":  # the broker's JIT and page cache, so the first figure is not penalised
            bare_loop(kafka, topic, records[: min(n, 500_000)], True)
        elif name == "bare":
            results["bare confluent-kafka loop (no delivery callback)"] = bare_loop(
                kafka, topic, records, False
            )
        elif name == "bare_cb":
            results["bare confluent-kafka loop (delivery callback)"] = bare_loop(kafka, topic, records, True)
        elif name == "sim":
            config = SimulatorConfig(rate=0, max_records=n)
            results["simulator connector (full runtime)"] = through_runtime(
                kafka, catalogue.namespace, SimulatorSource, config, n
            )
        else:
            directory = tmp / "hits"
            directory.mkdir()
            write_csv(directory / "hits.csv", records[:n_file])
            config = CheckpointFileConfig(directory=directory)
            results["checkpoint-file connector (full runtime)"] = through_runtime(
                kafka, catalogue.namespace, CheckpointFileSource, config, n_file
            )
    return results


if __name__ == "__main__":
    main()
