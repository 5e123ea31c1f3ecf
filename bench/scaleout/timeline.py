"""What the workers' logs say happened to their partitions: assigned, revoked, restored, rebuilt, when."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["LogEvent", "failures", "read_events", "restores"]

_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \w+ [\w.]+ (.*)$")
_KINDS = (
    ("assigned", re.compile(r"^assigned (\d+) partitions")),
    ("revoked", re.compile(r"^revoked (\d+) partitions")),
    ("restored", re.compile(r"^restored (\d+) partitions from (\d+) changelog records")),
    ("rebuilt", re.compile(r"^dedup of (\S+)\[(\d+)\] rebuilt from (\d+) sightings")),
    ("loaded", re.compile(r"^loaded (\d+) watchlist entries")),
    ("txn_failed", re.compile(r"^transaction of (\d+) records failed: (?:KafkaError\{code=)?(\w+)")),
    ("offsets_unknown", re.compile(r"^committed offsets unknown \(KafkaError\{code=(\w+)")),
)


@dataclass(frozen=True)
class LogEvent:
    """One line of a worker's log that says what happened to its partitions."""

    worker: str
    at: float  # wall time (the log's local-time stamp, millisecond resolution)
    kind: str
    values: tuple[str, ...]


def read_events(path: Path, worker: str) -> list[LogEvent]:
    """The partition events of one worker's log (``python -m ops.cli -v`` format), in order."""
    out: list[LogEvent] = []
    text = path.read_text(errors="replace") if path.exists() else ""
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        for kind, pattern in _KINDS:
            if found := pattern.match(m.group(2)):
                at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                out.append(LogEvent(worker, at, kind, found.groups()))
    return out


def restores(events: list[LogEvent], start: float, end: float) -> list[dict[str, Any]]:
    """Each restore between ``start`` and ``end``, per worker: from what caused it (an assignment, or an
    aborted transaction: the loop then restores every partition it holds) to the ``restored`` line, split
    in reading the changelogs (to the first partition rebuilt), rebuilding the dedup windows, and the rest
    (looking up the group's committed offsets), with the records read and the sightings rebuilt."""
    out: list[dict[str, Any]] = []
    cause: dict[str, tuple[float, str]] = {}  # worker -> (when, what) of the restore it will log next
    rebuilt: dict[str, list[LogEvent]] = {}
    for ev in sorted(events, key=lambda e: e.at):
        if ev.kind == "assigned" and int(ev.values[0]) > 0:
            cause[ev.worker], rebuilt[ev.worker] = (ev.at, "assigned"), []
        elif ev.kind == "txn_failed":
            cause[ev.worker], rebuilt[ev.worker] = (ev.at, f"aborted ({ev.values[1]})"), []
        elif ev.kind == "rebuilt":
            rebuilt.setdefault(ev.worker, []).append(ev)
        elif ev.kind == "restored" and ev.worker in cause:
            began, why = cause.pop(ev.worker)
            done = rebuilt.pop(ev.worker, [])
            if start <= ev.at <= end:
                first = done[0].at if done else ev.at
                last = done[-1].at if done else ev.at
                out.append(
                    {
                        "worker": ev.worker,
                        "cause": why,
                        "began_at": began,
                        "partitions": int(ev.values[0]),
                        "changelog_records_read": int(ev.values[1]),
                        "sightings_rebuilt": sum(int(r.values[2]) for r in done),
                        "seconds_total": round(ev.at - began, 3),
                        "seconds_reading_changelog": round(first - began, 3),
                        "seconds_rebuilding": round(last - first, 3),
                        "seconds_after_rebuild": round(ev.at - last, 3),
                    }
                )
    return out


def failures(events: list[LogEvent], start: float, end: float) -> list[dict[str, Any]]:
    """Aborted transactions and committed-offset look-ups that timed out between ``start`` and ``end``."""
    out = []
    for ev in events:
        if start <= ev.at <= end and ev.kind in ("txn_failed", "offsets_unknown"):
            what = (
                f"transaction of {ev.values[0]} records: {ev.values[1]}"
                if ev.kind == "txn_failed"
                else (f"committed offsets of the new partitions: {ev.values[0]}")
            )
            out.append({"worker": ev.worker, "at": round(ev.at - start, 2), "what": what})
    return out
