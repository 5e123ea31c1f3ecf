"""Benchmark of record protection (``schemas.crypto``): µs per record for each primitive, on this machine.

Run: ``PYTHONPATH=. python bench/bench_crypto.py`` (about 20 s; ``--rounds 3`` for a quick look). For
each operation: the median over rounds of CPU time per call (the machine is shared, so CPU time, not
wall time), on records of realistic size: a checkpoint hit's JSON (~330 bytes) for the record MAC, a
delivery's JSON (~660 bytes) for sealing, a batch's 500 MACs (16 KB) and a 64-byte message for
signatures. Prints a table and writes ``bench/results/crypto.json`` with the machine's description and
the library versions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.common import machine, save_json, table
from schemas.crypto import (
    generate_private,
    open_sealed,
    plate_token,
    record_mac,
    seal,
    sign,
    verify,
    verify_record_mac,
)
from schemas.keys import KeyPurpose

OUT = Path(__file__).resolve().parent / "results" / "crypto.json"

HIT = (
    b'{"schema_version":1,"event_id":"0b6f3c52-93a1-4d0e-8f7a-2c4e5b6a7d81","region":"440300",'
    b'"checkpoint_id":"kk-440300-0042","lane":"2","plate":"\xe7\xb2\xa4B80D6G","plate_colour":"blue",'
    b'"direction":"in","pass_time":"2026-12-05T06:00:00Z","confidence":0.93,'
    b'"image_ref":"https://img.example/440300/kk-0042/20261205/060000-2.jpg"}'
)
DELIVERY = HIT * 2  # a delivery carries the hit, the entry's disclosed fields and routing: ~2x a hit
PLATES = ["粤B80D6G", "川A12345", "渝BQ0S27", "粤Z1234港", "沪AD12345", "京N8B2Z1"]


def _per_call_us(fn: Callable[[], object], calls: int, rounds: int) -> dict[str, float]:
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(calls):
            fn()
        samples.append((time.process_time() - start) / calls * 1e6)
    return {"median_us": round(statistics.median(samples), 2), "min_us": round(min(samples), 2)}


def _operations() -> dict[str, tuple[Callable[[], object], int]]:
    mac_key, matching_key = os.urandom(32), os.urandom(32)
    mac = record_mac(mac_key, "rax.in.440300.hits", b"plate", HIT)
    signer = generate_private(KeyPurpose.SIGN)
    batch = mac * 500  # one signature per batch of 500 records covers their MACs
    signature = sign(signer, "batch", batch)
    verifier = signer.public_key()
    alert = HIT[:64]
    alert_signature = sign(signer, "alert", alert)
    recipient = generate_private(KeyPurpose.SEAL)
    public = recipient.public_key()
    envelope = seal(DELIVERY, public, recipient="440300", key_id="0" * 16, aad=b"delivery-id")
    plates = iter(PLATES * 10**7)
    return {
        "record MAC (HMAC-SHA256, 330 B hit)": (
            lambda: record_mac(mac_key, "rax.in.440300.hits", b"plate", HIT),
            50_000,
        ),
        "record MAC verify": (
            lambda: verify_record_mac(mac_key, "rax.in.440300.hits", b"plate", HIT, mac),
            50_000,
        ),
        "Ed25519 sign (batch of 500 MACs)": (lambda: sign(signer, "batch", batch), 3_000),
        "Ed25519 verify (batch of 500 MACs)": (
            lambda: verify(verifier, signature, "batch", batch),
            2_000,
        ),
        "Ed25519 sign (64 B)": (lambda: sign(signer, "alert", alert), 3_000),
        "Ed25519 verify (64 B)": (
            lambda: verify(verifier, alert_signature, "alert", alert),
            2_000,
        ),
        "HPKE seal (660 B delivery)": (
            lambda: seal(DELIVERY, public, recipient="440300", key_id="0" * 16, aad=b"delivery-id"),
            2_000,
        ),
        "HPKE open (660 B delivery)": (lambda: open_sealed(envelope, recipient, aad=b"delivery-id"), 2_000),
        "plate token, folded": (lambda: plate_token(matching_key, next(plates), exact=False), 50_000),
        "plate token, exact": (lambda: plate_token(matching_key, next(plates), exact=True), 50_000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds per operation; the median is reported")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON figures")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for name, (fn, calls) in _operations().items():
        results[name] = _per_call_us(fn, calls, args.rounds)
    print(
        table(
            ["operation", "µs/call (median)", "µs/call (min)"],
            [[name, f"{r['median_us']:.2f}", f"{r['min_us']:.2f}"] for name, r in results.items()],
        )
    )
    per_batch = results["Ed25519 sign (batch of 500 MACs)"]["median_us"] / 500
    print(f"\nper record with one signature per 500-record batch: sign {per_batch:.3f} µs")
    env = machine(cryptography=version("cryptography"))
    print(
        f"machine: {env['cpu']}, {env['usable_cores']} cores, load {env['load_average']}, "
        f"cryptography {env['cryptography']}"
    )
    save_json(args.out, {"machine": env, "rounds": args.rounds, "operations": results})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
