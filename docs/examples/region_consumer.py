#!/usr/bin/env python3
"""A command centre's own consumer of its region's deliveries: plain librdkafka, no RAX code.

    python region_consumer.py client.properties rax.out.510000 [--max 10] [--idle 10]

`client.properties` holds librdkafka properties (`key=value` lines, `#` comments), exactly as
docs/integrators.md gives them. Each delivery is printed as one JSON line. It reads with
isolation.level=read_committed, so a record of a transaction the exchange aborted is never seen, and it
commits its offsets after printing (at-least-once: a delivery may be printed again after a crash; its
`delivery_id` is stable, so deduplicate by it). Needs only `pip install confluent-kafka` (librdkafka >=
2.6.1: older ones fail SCRAM against Kafka 4.x).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException


def read_properties(path: str) -> dict[str, str]:
    props: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                props[key.strip()] = value.strip()
    return props


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("properties")
    ap.add_argument("topic")
    ap.add_argument("--max", type=int, default=0, help="stop after this many deliveries (0: never)")
    ap.add_argument("--idle", type=float, default=0, help="stop after this many seconds without one")
    args = ap.parse_args()
    consumer = Consumer(read_properties(args.properties))
    consumer.subscribe([args.topic])
    seen, last = 0, time.monotonic()
    try:
        while not args.max or seen < args.max:
            msg = consumer.poll(1.0)
            if msg is None:
                if args.idle and time.monotonic() - last > args.idle:
                    break
                continue
            if msg.error():
                if msg.error().fatal() or msg.error().code() in (
                    msg.error().TOPIC_AUTHORIZATION_FAILED,
                    msg.error().GROUP_AUTHORIZATION_FAILED,
                ):
                    raise KafkaException(msg.error())
                print(f"# {msg.error()}", file=sys.stderr)
                continue
            print(json.dumps(json.loads(msg.value()), ensure_ascii=False), flush=True)
            consumer.commit(msg, asynchronous=False)
            seen, last = seen + 1, time.monotonic()
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
