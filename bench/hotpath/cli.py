"""The command line of the hot-path benchmark: its options, and main (a full run, or one subprocess role)."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from bench.common import save_json
from bench.hotpath.paths import RESULTS
from bench.hotpath.report import print_report
from bench.hotpath.roles import ROLES, run_role
from bench.hotpath.runner import run_benchmark

DESCRIPTION = (
    "Benchmark of the hot path on a local broker, beside confluent-kafka and faust pass-throughs and a "
    "Quix Streams peer."
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=DESCRIPTION)
    p.add_argument("--entries", type=int, default=1_000_000, help="watchlist entries")
    p.add_argument("--hits", type=int, default=2_000_000, help="pre-produced hits for the throughput phase")
    p.add_argument("--latency-rate", type=float, default=10_000, help="offered hits/s in the latency phase")
    p.add_argument("--latency-seconds", type=float, default=30)
    p.add_argument(
        "--latency-warmup",
        type=float,
        default=20,
        help="paced seconds before measuring (the broker's JIT compiles this load's code meanwhile)",
    )
    p.add_argument("--workers", type=int, default=1, help="hot-path worker processes")
    p.add_argument("--quick", action="store_true", help="50k entries, 200k hits, 10 s latency (smoke run)")
    p.add_argument("--batch-size", type=int, default=5000, help="records per batch (worker and pass-through)")
    p.add_argument(
        "--batch-timeout", type=float, default=0.02, help="the hot-path worker's --batch-timeout (s)"
    )
    p.add_argument("--partitions", type=int, default=6, help="partitions of every hits topic")
    p.add_argument("--partial-share", type=float, default=0.02, help="share of partial watchlist plates")
    p.add_argument("--tolerant-share", type=float, default=0.2, help="share of entries with tolerance 1")
    p.add_argument("--dup-rate", type=float, default=0.01, help="share of duplicate reads")
    p.add_argument("--match-rate", type=float, default=0.0005, help="share of hits on watchlisted plates")
    p.add_argument("--latency-match-rate", type=float, default=0.01, help="matching share when paced")
    p.add_argument(
        "--event-rate", type=float, default=100_000, help="pass-time hits/s of the throughput data"
    )
    p.add_argument(
        "--input-compression",
        default="lz4",
        choices=("none", "lz4", "gzip"),
        help="compression of the pre-produced input: lz4 as the connectors (faust needs aiokafka[lz4])",
    )
    p.add_argument(
        "--faust-seconds", type=float, default=60, help="time the faust baseline at most this long"
    )
    p.add_argument(
        "--baseline-seconds", type=float, default=120, help="time a pass-through at most this long"
    )
    p.add_argument("--stage-timeout", type=float, default=600, help="give up on a stage after this long")
    p.add_argument("--no-faust", action="store_true", help="skip the faust baseline")
    p.add_argument(
        "--no-quix", action="store_true", help="skip the Quix Streams peer (bench/peers/quix, its own venv)"
    )
    p.add_argument(
        "--quix-commit-interval",
        type=float,
        default=0.5,
        help="the Quix peer's commit_interval in seconds (Quix's default is 5)",
    )
    p.add_argument(
        "--mac",
        action="store_true",
        help="authenticated records: hits carry their region's rax.mac, workers run with --mac required",
    )
    p.add_argument(
        "--protect",
        action="store_true",
        help="phase 1 again on the same load with MACs required, every full-plate entry blind and every "
        "agreement sealing (issue 13: the share of its rate the hot path keeps)",
    )
    p.add_argument(
        "--escalate",
        action="store_true",
        help="run the escalate processor beside the hot path (clone rule on every read) and time "
        "cloned-plate scenarios from read to operation delivered",
    )
    p.add_argument(
        "--escalate-nice",
        type=int,
        default=0,
        help="with --escalate: run the escalate worker at this lower CPU priority (its --nice)",
    )
    p.add_argument(
        "--escalate-no-defer",
        dest="escalate_defer",
        action="store_false",
        help="with --escalate: the escalate worker without --defer-to hotpath (which it has by default, "
        "as in this repository's one-host deployments: docker-compose.yml and rax demo)",
    )
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument(
        "--out",
        type=Path,
        help="the JSON to write (default bench/results/hotpath.json, with --quick hotpath-quick.json)",
    )
    p.add_argument("--keep", action="store_true", help="keep the temp dir (broker data, logs)")
    p.add_argument(
        "--py-spy",
        type=Path,
        help="profile worker 0 in phases 1 and 3 with py-spy (FILE-throughput.svg …), and with --escalate "
        "the escalate worker through phase 1 (FILE-escalate.svg)",
    )
    hidden = argparse.SUPPRESS
    p.add_argument("--role", choices=ROLES, help=hidden)
    p.add_argument("--bootstrap", help=hidden)
    p.add_argument("--namespace", help=hidden)
    p.add_argument("--group", help=hidden)
    p.add_argument("--out-topic", help=hidden)
    p.add_argument("--regions", help=hidden)
    p.add_argument("--mac-keys", type=Path, help=hidden)
    p.add_argument("--matching-keys", type=Path, help=hidden)
    p.add_argument("--data-dir", help=hidden)
    p.add_argument("--plan", help=hidden)
    p.add_argument("--transactions", action="store_true", help=hidden)
    p.add_argument("--peer-python", type=Path, help=hidden)
    args = p.parse_args(argv)
    args.matching_key = None  # the zone's matching key when entries are placed blind (bench.hotpath.protect)
    if args.quick:
        args.entries, args.hits, args.latency_seconds = 50_000, 200_000, 10
        args.faust_seconds = min(args.faust_seconds, 20)
    if args.out is None:  # a smoke run does not overwrite the full run's figures
        stem = "hotpath-escalate" if args.escalate else "hotpath-protect" if args.protect else "hotpath"
        args.out = RESULTS / (f"{stem}-quick.json" if args.quick else f"{stem}.json")
    return args


def main() -> None:
    args = parse_args()
    if args.role:
        run_role(args)
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up of `finally` blocks
    tmp = Path(tempfile.mkdtemp(prefix="rax-bench-hotpath-"))
    try:
        result = run_benchmark(args, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print_report(result)
    save_json(args.out, result)
    print(f"\nwritten to {args.out}")
