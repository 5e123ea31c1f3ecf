"""Where the hot-path benchmark finds its inputs, its entry point and its results."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
#: the entry point; the subprocess roles (pass-through, faust, pacer) run it again with ``--role``
ENTRY = ROOT / "bench" / "bench_hotpath.py"
ZONE_FILE = ROOT / "ops" / "zones" / "chuanyu.yaml"
CCPD = ROOT / "schemas" / "data" / "ccpd_balanced_sample.txt"
RESULTS = ROOT / "bench" / "results"
