"""The roles run as subprocesses of the entry point: pass-through, faust agent, Quix peer, paced producer."""

from __future__ import annotations

import argparse
import signal
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import TopicPartition

from bench.hotpath.clients import make_consumer, make_producer, make_transactional_producer, produce
from bench.hotpath.macs import HitMacs
from bench.hotpath.quix import exec_peer
from bench.hotpath.records import hit_record
from schemas.topics import Catalogue, TopicKind

ROLES = ("passthrough", "faust", "quix", "pacer")


def role_passthrough(args: argparse.Namespace, stop: Callable[[], bool]) -> None:
    """Consume → produce every record to one topic; offsets committed every batch (optionally in a txn)."""
    cat = Catalogue(args.namespace)
    consumer = make_consumer(args.bootstrap, args.group)
    extra: dict[str, Any] = {"linger.ms": 5, "compression.type": "lz4"}  # the worker's producer settings
    errors: list[Any] = []  # a transactional producer reports a failed delivery on commit instead
    if args.transactions:
        producer = make_transactional_producer(args.bootstrap, f"{args.group}-0", extra)
    else:
        producer = make_producer(args.bootstrap, "lz4", errors, extra)
    consumer.subscribe([cat.in_pattern(TopicKind.HITS)])
    out = args.out_topic
    while not stop() and not errors:
        batch = [m for m in consumer.consume(args.batch_size, 0.05) if m.error() is None]
        if not batch:
            continue
        if args.transactions:
            producer.begin_transaction()
        for m in batch:
            produce(producer, out, m.value(), m.key() or b"")
        # the factory's consumers store no offset by themselves: commit the batch's explicitly
        ends: dict[tuple[str, int], int] = {}
        for m in batch:
            ends[(m.topic() or "", m.partition() or 0)] = (m.offset() or 0) + 1
        offsets = [TopicPartition(t, p, o) for (t, p), o in ends.items()]
        if args.transactions:
            producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata(), 30)
            producer.commit_transaction(60)
        else:
            producer.poll(0)
            consumer.commit(offsets=offsets, asynchronous=True)
    producer.flush(10)
    consumer.close()
    if errors:
        raise SystemExit(f"pass-through: {len(errors)} deliveries failed, e.g. {errors[0]}")


def role_faust(args: argparse.Namespace) -> None:
    """A faust agent forwarding every hit's bytes to one topic (kafka:// transport, concurrency=1)."""
    import faust

    cat = Catalogue(args.namespace)
    app = faust.App(
        args.group,
        broker=f"kafka://{args.bootstrap}",
        value_serializer="raw",
        key_serializer="raw",
        store="memory://",
        topic_replication_factor=1,
        topic_disable_leader=True,
        web_enabled=False,
        datadir=args.data_dir,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=0.5,
        producer_acks=-1,
        producer_linger=0.005,
    )
    hits = [cat.in_hits(r) for r in args.regions.split(",")]
    source = app.topic(*hits, value_serializer="raw", key_serializer="raw")
    out = app.topic(args.out_topic, value_serializer="raw", key_serializer="raw")

    @app.agent(source, concurrency=1)
    async def forward(stream: Any) -> None:
        async for event in stream.events():
            await out.send(key=event.key, value=event.value)

    sys.argv = [sys.argv[0], "worker", "--loglevel", "warn", "--without-web"]
    app.main()


def role_pacer(args: argparse.Namespace, stop: Callable[[], bool]) -> None:
    """Sends the plan's hits at ``--latency-rate`` per second, each with pass_time = now; prints stats."""
    plan = orjson.loads(Path(args.plan).read_bytes())
    # batching as the connectors' (20 ms linger): until 2026-12-06 it lingered 5 ms, which made the
    # broker append four times as many one-record batches (0.62 of a core against 0.27 at 10,000/s)
    producer = make_producer(args.bootstrap, args.input_compression)
    macs = HitMacs(args.mac_keys) if args.mac_keys else None
    rate, n, i, worst = args.latency_rate, len(plan), 0, 0.0
    start = time.monotonic() + 0.1
    print(orjson.dumps({"started": time.time() + 0.1}).decode(), flush=True)
    while i < n and not stop():
        due = min(n, int((time.monotonic() - start) * rate) + 1)
        worst = max(worst, (due - i) / rate)  # how far behind the schedule the pacer fell
        while i < due:
            topic, region, checkpoint, plate, colour = plan[i]
            value = hit_record(str(uuid.uuid4()), region, checkpoint, plate, colour, datetime.now(UTC))
            key = plate.encode()
            produce(producer, topic, value, key, macs.headers(region, topic, key, value) if macs else None)
            i += 1
        producer.poll(0)
        time.sleep(max(0.0, min(0.001, start + i / rate - time.monotonic())))
    elapsed = time.monotonic() - start
    producer.flush(30)
    print(orjson.dumps({"sent": i, "seconds": round(elapsed, 3), "behind_max_s": round(worst, 4)}).decode())


def run_role(args: argparse.Namespace) -> None:
    """Runs ``args.role`` in this process until it is done or SIGTERM / SIGINT asks it to stop."""
    stopping = {"now": False}

    def stop(*_: Any) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.role == "passthrough":
        role_passthrough(args, lambda: stopping["now"])
    elif args.role == "pacer":
        role_pacer(args, lambda: stopping["now"])
    elif args.role == "quix":
        exec_peer(args)  # becomes the peer's process (its own venv); exec resets the signal handlers
    else:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # faust installs its own handlers
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        role_faust(args)
