"""The printed report of a scale-out run and its verdict against the 3 s pause target."""

from __future__ import annotations

from typing import Any

from bench.common import table

#: issue 12: a worker joining or leaving pauses its partitions at most this long
PAUSE_TARGET_S = 3.0


def _worst(event: dict[str, Any]) -> float | None:
    values = [event[k].get("pause_s", {}).get("max") for k in ("moved", "stayed")]
    found = [v for v in values if v is not None]
    return max(found) if found else None


def verdicts(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per cluster and event: the longest pause of any partition, PASS / MISS against 3 s."""
    out = []
    for cluster, phase in result["pauses"].items():
        for ev in phase["events"]:
            if "moved" not in ev:
                continue
            worst = _worst(ev)
            out.append(
                {
                    "cluster": cluster,
                    "event": ev["event"],
                    "longest_pause_s": worst,
                    "verdict": "PASS" if worst is not None and worst <= PAUSE_TARGET_S else "MISS",
                }
            )
    return out


def _restore_text(ev: dict[str, Any]) -> str:
    parts = []
    for r in ev.get("restores", []):
        parts.append(
            f"{r['worker']} ({r['cause'].split(' ')[0]}): {r['partitions']} p, "
            f"{r['changelog_records_read']:,} rec, "
            f"{r['seconds_reading_changelog']}+{r['seconds_rebuilding']}+{r['seconds_after_rebuild']} s"
        )
    return "; ".join(parts) or "-"


def print_report(result: dict[str, Any]) -> None:
    rows = []
    for t in result["throughput"]:
        per = t["per_worker"]
        rows.append(
            [
                f"{t['workers']} worker(s), {t['cluster']}",
                f"{t['progress']['rate_per_s']:,.0f}",
                f"{t['rate_after_last_rebalance']:,.0f}" if t["rate_after_last_rebalance"] else "-",
                t.get("seconds_stalled", "-"),
                t["aggregate_cpu_us_per_hit"],
                " / ".join(str(w["cpu_us_per_hit"]) for w in per),
                " / ".join(f"{w['hits'] / 1000:.0f}k" for w in per),
                " / ".join(f"{w['peak_rss_mb']:.0f}" for w in per),
                len(t["restores"]),
                t["load_average_1m"],
            ]
        )
    print()
    print(
        table(
            [
                "run",
                "hits/s",
                "after rebal.",
                "stalled s",
                "CPU µs/hit",
                "per worker",
                "hits",
                "peak RSS MB",
                "restores",
                "load 1m",
            ],
            rows,
        )
    )
    for cluster, phase in result["pauses"].items():
        rows = []
        for ev in phase["events"]:
            if "moved" not in ev:
                s = ev.get("pause_s", {})
                rows.append([ev["event"], "-", "-", "-", s.get("p50"), s.get("max"), "-", "-"])
                continue
            m, s = ev["moved"].get("pause_s", {}), ev["stayed"].get("pause_s", {})
            rows.append(
                [
                    ev["event"],
                    ev["moved_partitions"],
                    m.get("p50", "-"),
                    f"{m.get('max', '-')}{'*' if ev['not_resumed_by_window_end'] else ''}",
                    s.get("p50", "-"),
                    s.get("max", "-"),
                    _restore_text(ev),
                    ev["load_average_1m"],
                ]
            )
        pacer = phase["pacer"]
        print(
            f"\npauses, {cluster}: paced {phase['rate']:,.0f} hits/s (sent {pacer.get('sent', 0):,} in "
            f"{pacer.get('seconds', 0)} s, behind at most {pacer.get('behind_max_s')} s); committed offsets "
            f"sampled every 0.1 s (fetch p50 {phase['offset_fetch_ms'].get('p50')} ms)"
        )
        print(
            table(
                [
                    "event",
                    "moved",
                    "moved p50 s",
                    "moved max s",
                    "others p50 s",
                    "others max s",
                    "restore: partitions, records, read+rebuild+rest s",
                    "load 1m",
                ],
                rows,
            )
        )
        for ev in phase["events"]:
            for f in ev.get("failures", []):
                print(f"  {ev['event']}: +{f['at']} s {f['worker']} {f['what']}")
        print(
            "* some partition had not moved again when the event's window ended: its pause is at least that"
        )
        print(
            f"input records consumed by the workers {phase['input_consumed_by_workers']:,}, committed by the "
            f"group {phase['input_committed_by_group']:,}"
        )
    if result["mechanics"]:
        rows = [
            [
                name,
                (m.get("join") or {}).get("unowned_s"),
                (m.get("join") or {}).get("seconds_to_settle"),
                (m.get("leave") or {}).get("seconds_until_reassigned"),
            ]
            for name, m in result["mechanics"].items()
        ]
        print("\ngroup protocol alone (two bare consumers, no processing):")
        print(table(["variant", "join: moved unowned s", "join: settled s", "leave: reassigned s"], rows))
    print()
    print(
        table(["cluster", "event", "longest pause s", "≤ 3 s"], [list(v.values()) for v in verdicts(result)])
    )
    mach = result["machine"]
    print(f"\nmachine: {mach['cpu']}, {mach['cores']} cores, load average {mach['load_average']}")
