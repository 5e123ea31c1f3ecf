"""A local broker's log cleaner at the lowest CPU priority, so its bursts wait for an idle core.

On a machine where the broker shares its cores with the stream workers (the local broker of the demo,
the tests and the benchmarks), the log cleaner's passes over a large changelog (the escalate worker's
vehicles: 16-54 MB a partition) come as ~0.3 s bursts of a full core even when paced (Kafka's
throttler checks every 300 ms), and on two busy cores each burst delays every worker: measured, the
escalations of the seconds it ran took 1.4-1.7 s instead of ~0.2 s. Compaction is background work
that may wait, so the cleaner's threads run at nice 19: they get a core when one is idle, and only a
sliver of one when none is. Linux applies a priority per thread (``setpriority`` with a thread id),
which is what lets the broker's other threads keep theirs. A broker on its own machine (production)
needs none of this.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

__all__ = ["BACKGROUND_NICE", "lower_cleaner_priority"]

log = logging.getLogger(__name__)

#: the nice value given to the cleaner's threads (19: the lowest priority)
BACKGROUND_NICE = 19
#: the thread names (``/proc/<pid>/task/<tid>/comm``, cut at 15 characters) of Kafka's log cleaner
_CLEANER_PREFIX = "kafka-log-clean"


def _cleaner_threads(pid: int) -> list[int]:
    tids = []
    try:
        entries = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for tid in entries:
        try:
            name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
        except OSError:
            continue
        if name.startswith(_CLEANER_PREFIX):
            tids.append(int(tid))
    return tids


def lower_cleaner_priority(pid: int, wait_s: float = 10.0) -> list[int]:
    """Gives the log cleaner threads of broker ``pid`` nice ``BACKGROUND_NICE``; returns their ids.

    Waits up to ``wait_s`` for them to exist (the broker starts its cleaner with its log manager). Not
    finding them, or not being allowed (not Linux), is logged and leaves the broker as it is.
    """
    deadline = time.monotonic() + wait_s
    tids = _cleaner_threads(pid)
    while not tids and time.monotonic() < deadline:
        time.sleep(0.2)
        tids = _cleaner_threads(pid)
    if not tids:
        log.warning("no log cleaner thread found in broker %d: its priority is left as it is", pid)
        return []
    for tid in tids:
        try:
            os.setpriority(os.PRIO_PROCESS, tid, BACKGROUND_NICE)
        except OSError as exc:
            log.warning("could not lower the log cleaner's priority (thread %d): %s", tid, exc)
            return []
    return tids
