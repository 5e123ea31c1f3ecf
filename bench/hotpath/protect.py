"""The protected run of the hot-path benchmark (issue 13): MACs required, entries blind, agreements sealed.

``--protect`` runs phase 1 a second time, right after the first, on the same generated load in a second
namespace whose zone seals every agreement (each region's X25519 public key in the zone), with every hit
carrying its region's ``rax.mac`` (the workers run ``--mac required``) and every full-plate entry placed
blind under the zone's matching key (the workers hold it: ``--matching-keys``; partial entries cannot be
blind and stay clear). The two rows side by side give the share of its rate the hot path keeps with the
protections on, by wall-clock rate and by worker CPU per hit.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import x25519

from bench.common import stop_process
from bench.hotpath.macs import make_keys
from bench.hotpath.procs import Run, Workers
from bench.hotpath.throughput import phase_hotpath
from ops.keys.matching import add_matching_key
from schemas.crypto import public_record
from schemas.zone import Zone

__all__ = ["PROTECTED_ROW", "protected_phase", "sealed_zone"]

PROTECTED_ROW = "hot path protected"

Prepare = Callable[[argparse.Namespace, Zone, random.Random], Run]


def sealed_zone(zone: Zone, now: datetime) -> Zone:
    """``zone`` with every agreement sealing and every region's public key (the private ones dropped:
    the hot path only seals to them)."""
    since = now - timedelta(days=1)
    keys = tuple(public_record(r.code, x25519.X25519PrivateKey.generate(), since) for r in zone.regions)
    agreements = tuple(a.model_copy(update={"seal": True}) for a in zone.agreements)
    return Zone.model_validate({**zone.model_dump(), "agreements": agreements, "keys": keys})


def protected_phase(
    args: argparse.Namespace, tmp: Path, zone: Zone, prepare: Prepare, result: dict[str, Any]
) -> None:
    """Phase 1 on the same load with the protections on; its row and the ratios into ``result``."""
    now = datetime.now(UTC)
    regions = [r.code for r in zone.regions]
    protected = argparse.Namespace(**vars(args))
    protected.mac_keys = make_keys(tmp / "protect", regions)
    if args.py_spy is not None:  # its own profile beside phase 1's
        protected.py_spy = args.py_spy.with_name(f"{args.py_spy.stem}-protected{args.py_spy.suffix}")
    protected.matching_keys = tmp / "protect" / "matching.json"
    protected.matching_key = add_matching_key(protected.matching_keys, now - timedelta(days=1))
    sealing = sealed_zone(zone, now)
    run = prepare(protected, sealing, random.Random(args.seed))
    try:
        print("phase 1 again: hot path protected (MACs required, entries blind, sealing)", flush=True)
        row = phase_hotpath(run, Workers(run))
        row["blind_entries"] = run.world.blind_entries
        result["throughput"][PROTECTED_ROW] = row
        print(f"  {row['progress']['rate_per_s']:,.0f} hits/s", flush=True)
    finally:
        for proc in run.children:
            stop_process(proc)
    off = result["throughput"]["hot path"]["progress"]
    on = result["throughput"][PROTECTED_ROW]["progress"]
    result["protection"] = {
        "rate_kept": round(on["rate_per_s"] / off["rate_per_s"], 3) if off.get("rate_per_s") else None,
        "cpu_per_hit_ratio": (
            round(off["cpu_us_per_record"] / on["cpu_us_per_record"], 3)
            if off.get("cpu_us_per_record") and on.get("cpu_us_per_record")
            else None
        ),
        "blind_entries": run.world.blind_entries,
        "sealed_deliveries": row["counters"]["sealed_deliveries"],
        "forged_records_refused": row["counters"]["forged"],
    }
