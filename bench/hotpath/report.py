"""The hot path's targets, the PASS / MISS verdicts on them and the printed report of a run."""

from __future__ import annotations

import argparse
from typing import Any

from bench.common import table
from bench.hotpath.protect import PROTECTED_ROW

TARGETS = {
    "hits_per_s": 100_000,
    "share_of_passthrough": 0.5,
    "p99_ms": 250.0,
    "worker_mb": 1536.0,
    "times_quix_peer": 3.0,
}


def verdicts(result: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Each target with what was measured, PASS / MISS, and whether the run met its conditions."""
    hot = result["throughput"]["hot path"]["progress"]["rate_per_s"]
    bare = result["throughput"].get("pass-through", {}).get("progress", {}).get("rate_per_s", 0.0)
    lat = result["latency"]["read_to_delivery_ms"].get("p99", float("inf"))
    mem = result["throughput"]["hot path"]["peak_rss_mb"]
    full = args.entries >= 1_000_000
    out = [
        (
            "sustained hits/s (dedup + match + fan-out, transactions on)",
            hot,
            f">= {TARGETS['hits_per_s']:,}",
            hot >= TARGETS["hits_per_s"],
            True,
        ),
        (
            "share of the bare pass-through's rate",
            round(hot / bare, 3) if bare else None,
            f">= {TARGETS['share_of_passthrough']}",
            bool(bare) and hot / bare >= TARGETS["share_of_passthrough"],
            bool(bare),
        ),
        (
            f"read-to-delivery p99 at {args.latency_rate:,.0f} hits/s (ms)",
            lat,
            f"< {TARGETS['p99_ms']:.0f}",
            lat < TARGETS["p99_ms"],
            args.latency_rate >= 10_000,
        ),
        (
            f"peak RSS per worker with {args.entries:,} entries (MB)",
            mem,
            f"< {TARGETS['worker_mb']:.0f}",
            mem < TARGETS["worker_mb"],
            full,
        ),
    ]
    row = result["throughput"].get("quix peer", {})
    quix = row.get("progress", {})
    if quix.get("rate_per_s"):
        ratio = round(hot / quix["rate_per_s"], 2)
        out.append(
            (
                "hot path / the Quix Streams peer's rate (same run)",
                ratio,
                f">= {TARGETS['times_quix_peer']:g}x the Quix Streams peer",
                ratio >= TARGETS["times_quix_peer"],
                "error" not in row,  # a peer timed for --baseline-seconds only is measured all the same
            )
        )
    if "escalate" in result:
        timing = result["throughput"]["hot path + escalate"]["progress"]
        # over the samples after the escalate worker's first read (it starts once the watchlist is loaded)
        beside = timing.get("rate_beside_per_s") or timing["rate_per_s"]
        share = round(beside / hot, 3) if hot else 0.0
        esc = result["escalate"]["phase_3"]["read_to_escalation_ms"].get("p99", float("inf"))
        out += [
            (
                "hot path rate with the escalate processor beside it / without",
                share,
                ">= 0.9",
                share >= 0.9,
                True,
            ),
            (
                f"read-to-escalation p99 at {args.latency_rate:,.0f} hits/s (ms)",
                esc,
                "<= 1000",
                esc <= 1000,
                args.latency_rate >= 10_000 and full,
            ),
        ]
    if "protection" in result:
        kept = result["protection"]["rate_kept"] or 0.0
        out.append(
            (
                "hot path rate with MACs, blind entries and sealing on / off (same load)",
                kept,
                ">= 0.85 at a 1 % match rate",
                kept >= 0.85,
                args.match_rate >= 0.01,
            )
        )
    return [
        {"target": t, "measured": m, "wanted": w, "verdict": ("PASS" if ok else "MISS"), "conditions_met": c}
        for t, m, w, ok, c in out
    ]


def print_report(result: dict[str, Any]) -> None:
    """The throughput table, the latency line, memory, machine, parameters, data and verdicts."""
    tp = result["throughput"]
    bare = tp.get("pass-through", {}).get("progress", {}).get("rate_per_s", 0.0)
    rows = []
    for name, r in tp.items():
        p = r.get("progress", {})
        rate = p.get("rate_per_s", 0.0)
        note = "" if p.get("finished") else f"  ({p.get('stopped_early') or r.get('error', 'failed')})"
        rows.append(
            [
                name,
                f"{rate:,.0f}",
                f"{rate / bare:.2f}" if bare else "-",
                f"{p.get('cpu_us_per_record') or 0:.1f}",
                f"{p.get('broker_cpu_us_per_record') or 0:.1f}",
                f"{r.get('peak_rss_mb', 0):,.0f}",
                f"{p.get('measured_records', 0):,}",
                f"{p.get('measured_seconds', 0):.1f}",
                f"{r.get('load_average_1m', 0):.1f}{note}",
            ]
        )
    header = ["consumer", "hits/s", "x pass-through", "CPU µs/hit", "broker µs/hit", "peak RSS MB"]
    print("\n" + table([*header, "hits timed", "seconds", "load 1m"], rows))
    _print_peer_ratio(tp)
    _print_latency(result["latency"], "")
    if "latency quix peer" in result:
        _print_peer_latency(result["latency quix peer"], tp.get("quix peer", {}))
    if "escalate" in result:
        _print_latency(result["latency with escalate"], " (the escalate processor beside the hot path)")
        esc = result["escalate"]
        ems = esc["phase_3"]["read_to_escalation_ms"]
        print(
            f"escalate: phase 1 {esc['phase_1']['cpu_us_per_hit']} µs CPU per hit, done "
            f"{esc['phase_1']['seconds_behind_the_hot_path']} s after the hot path; phase 3: "
            f"{esc['phase_3']['operations_received']} of {esc['phase_3']['scenarios_sent']} cloned-plate "
            f"scenarios escalated, read-to-escalation p50 {ems.get('p50')} ms, p99 {ems.get('p99')} ms, "
            f"escalate CPU {esc['phase_3']['escalate_cpu_utilisation']:.0%} of a core"
        )
        key = "worker_0_runqueue_wait_us_per_hit_by_thread"
        alone, beside = (tp[row].get(key, {}) for row in ("hot path", "hot path + escalate"))
        waits = (f"{n} {alone.get(n, 0):.1f} -> {beside.get(n, 0):.1f}" for n in sorted({*alone, *beside}))
        print("  worker 0 waited for a CPU (µs per hit), alone -> beside escalate:", ", ".join(waits))
    if "protection" in result:
        pr = result["protection"]
        print(
            f"protection: the hot path keeps {pr['rate_kept']} of its rate with MACs required, "
            f"{pr['blind_entries']:,} entries blind and every agreement sealing (worker CPU per hit: "
            f"{pr['cpu_per_hit_ratio']} of it off/on); {pr['sealed_deliveries']:,.0f} sealed deliveries, "
            f"{pr['forged_records_refused']:,.0f} records refused as forged"
        )
        key = "worker_0_cpu_us_per_hit_by_thread"
        off, on = (tp[row].get(key, {}) for row in ("hot path", PROTECTED_ROW))
        print(
            "  worker 0's CPU µs per hit by thread, off -> on: "
            + ", ".join(f"{n} {off.get(n, 0):.1f} -> {on.get(n, 0):.1f}" for n in sorted({*off, *on}))
        )
    hp = tp["hot path"]
    for i, w in enumerate(hp["workers"]):
        print(
            f"worker {i}: {result['data']['entries']:,} entries loaded in {w['load_seconds']} s, "
            f"RSS {w['rss_mb_loaded']:,.0f} MB after the load; peak RSS {hp['peak_rss_mb']:,.0f} MB"
        )
    print("\nmachine: " + ", ".join(f"{k} {v}" for k, v in result["machine"].items()))
    print("parameters: " + ", ".join(f"{k}={v}" for k, v in result["parameters"].items()))
    print("data: " + ", ".join(f"{k}={v}" for k, v in result["data"].items()))
    print("\ntargets:")
    for v in result["targets"]:
        cond = "" if v["conditions_met"] else "  (not under the target's conditions)"
        print(f"  {v['verdict']}  {v['target']}: {v['measured']} (wanted {v['wanted']}){cond}")


def _print_latency(lat: dict[str, Any], what: str) -> None:
    """The latency phase's line."""
    ms, hist, nan = lat["read_to_delivery_ms"], lat["worker_histogram_ms"], float("nan")
    batches = lat["worker_batches"]
    print(
        f"\nlatency{what} at {lat['offered_rate']:,.0f} hits/s offered "
        f"({lat['achieved_rate']:,.0f} achieved; "
        f"{lat['seconds']} s measured after {lat['warmup_seconds']} s of warm-up; "
        f"{lat['matching_hits_planted']:,} matching hits ≈ "
        f"{lat['matching_hits_planted'] / max(lat['offered_rate'] * lat['seconds'], 1):.1%}): "
        f"read-to-delivery p50 {ms.get('p50', nan):.1f} ms, p99 {ms.get('p99', nan):.1f} ms, "
        f"max {ms.get('max', nan):.1f} ms over {ms.get('count', 0):,} deliveries "
        f"(worker histogram: p50 ≈ {hist['p50']} ms, p99 ≈ {hist['p99']} ms; "
        f"{batches['count']:,.0f} batches of {batches['mean_records']:,.0f} records, "
        f"{batches['mean_process_and_commit_ms']} ms each to process and commit, worker CPU "
        f"{batches['worker_cpu_utilisation']:.0%} of a core; "
        f"load 1m {lat['load_average_1m']})"
    )
    if machine := lat.get("machine"):
        print(
            f"  measured window, cores of 2: worker {machine.get('worker', nan):.2f}, broker "
            f"{machine.get('broker', nan):.2f} (its JIT compilers {machine.get('jit', nan):.2f}), "
            f"idle {machine.get('idle', nan) * 2:.2f}"
        )


def _print_peer_latency(lat: dict[str, Any], row: dict[str, Any]) -> None:
    """The Quix peer's latency line, and its tallies in phases 2 and 3."""
    ms, nan = lat["read_to_delivery_ms"], float("nan")
    print(
        f"latency of the Quix peer (commit_interval {lat['commit_interval_s']} s) at "
        f"{lat['offered_rate']:,.0f} hits/s offered ({lat['achieved_rate']:,.0f} achieved): read-to-delivery "
        f"p50 {ms.get('p50', nan):.1f} ms, p99 {ms.get('p99', nan):.1f} ms, max {ms.get('max', nan):.1f} ms "
        f"over {ms.get('count', 0):,} deliveries (peer CPU {lat['peer_cpu_utilisation']:.0%} of a core; "
        f"load 1m {lat['load_average_1m']})"
    )
    if row.get("peer"):
        print(f"quix peer in phase 2: {row['peer']}")


def _print_peer_ratio(tp: dict[str, Any]) -> None:
    """The hot path against the Quix peer: by rate (the target) and by CPU per hit (steadier when busy)."""
    hot, quix = tp["hot path"].get("progress", {}), tp.get("quix peer", {}).get("progress", {})
    if hot.get("rate_per_s") and quix.get("rate_per_s") and quix.get("cpu_us_per_record"):
        print(
            f"hot path / quix peer: {hot['rate_per_s'] / quix['rate_per_s']:.2f}x its rate; CPU per hit "
            f"{hot.get('cpu_us_per_record', 0) / quix['cpu_us_per_record']:.2f}x the peer's"
        )
