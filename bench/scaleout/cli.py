"""The command line of the scale-out benchmark: its options and ``main``."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from bench.common import save_json
from bench.hotpath import parse_args as hotpath_args
from bench.hotpath.paths import RESULTS
from bench.scaleout.report import print_report
from bench.scaleout.runner import run_scaleout


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Scale-out of the hot path: 1, 2, 4 workers in one group, the pause when a worker "
        "joins or leaves, and 2 workers on a three-node cluster."
    )
    p.add_argument("--entries", type=int, default=200_000, help="watchlist entries")
    p.add_argument("--hits", type=int, default=600_000, help="pre-produced hits per throughput run")
    p.add_argument("--partitions", type=int, default=6, help="partitions of every hits topic (8 regions)")
    p.add_argument("--workers", default="1,2,4", help="worker counts of the throughput runs (one broker)")
    p.add_argument("--pace", type=float, default=5000, help="hits/s offered while workers join and leave")
    p.add_argument(
        "--soak",
        type=float,
        default=0.0,
        help="seconds of paced load before the first join or leave: a longer uptime, so the join's restore "
        "shows what the changelogs kept of it (compaction), not only the throughput run's writes",
    )
    p.add_argument("--no-pauses", dest="pauses", action="store_false", help="skip the join / leave phases")
    p.add_argument(
        "--no-mechanics", dest="mechanics", action="store_false", help="skip the bare-consumer probe"
    )
    p.add_argument(
        "--no-three-nodes", dest="three_nodes", action="store_false", help="skip the 3-node cluster"
    )
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--out", type=Path, default=RESULTS / "scaleout.json", help="the JSON to write")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (broker data, every worker's log)")
    args = p.parse_args(argv)
    args.workers = [int(x) for x in args.workers.split(",")]
    # the load and the workers are the hot-path benchmark's: its options, with these sizes
    args.hotpath = hotpath_args(
        [
            *("--entries", str(args.entries), "--hits", str(args.hits)),
            *(
                "--partitions",
                str(args.partitions),
                "--seed",
                str(args.seed),
                "--no-faust",
                "--out",
                str(args.out),
            ),
        ]
    )
    return args


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up of `finally` blocks
    tmp = Path(tempfile.mkdtemp(prefix="rax-bench-scaleout-"))
    try:
        result = run_scaleout(args, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print_report(result)
    save_json(args.out, result)
    print(f"\nwritten to {args.out}")
