"""The local broker's log cleaner runs at the lowest CPU priority, its other threads at their own."""

from __future__ import annotations

from pathlib import Path

from ops.kafka.priorities import BACKGROUND_NICE
from tests.conftest import Broker


def _threads(pid: int) -> dict[int, tuple[str, int]]:
    """Every thread of ``pid``: id -> (name, nice)."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            stat = (task / "stat").read_text()
        except OSError:
            continue
        nice = int(stat.rsplit(")", 1)[1].split()[16])  # field 19 of stat: nice
        out[int(task.name)] = (name, nice)
    return out


def test_the_cleaner_waits_for_an_idle_core_and_nothing_else_does(broker: Broker) -> None:
    (node,) = broker.state.nodes
    threads = _threads(node.pid)
    cleaners = [nice for name, nice in threads.values() if name.startswith("kafka-log-clean")]
    assert cleaners and all(nice == BACKGROUND_NICE for nice in cleaners), threads
    base = threads[node.pid][1]  # the JVM's main thread: the priority the broker was started with
    handlers = [nice for name, nice in threads.values() if name.startswith("data-plane-kafk")]
    assert handlers and all(nice == base for nice in handlers), threads  # requests keep their priority
