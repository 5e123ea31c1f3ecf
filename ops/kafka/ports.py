"""Loopback ports for local brokers: pick a free fixed port, and wait until one accepts connections."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ops.kafka.errors import BrokerError

__all__ = ["ephemeral_range", "free_port", "free_port_block", "port_is_free", "wait_for_port"]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # like the JVM's server sockets: a port with only TIME_WAIT connections left is free to listen on
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen(1)
        except OSError:
            return False
    return True


def free_port(exclude: set[int] | None = None) -> int:
    """A port that is free now, below the kernel's ephemeral range (``free_port_block``), so that no
    outgoing connection takes it before its server binds it (a broker's JVM binds seconds later)."""
    exclude = exclude or set()
    while True:
        port = free_port_block([0])
        if port not in exclude:
            return port


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range of source ports for outgoing connections (Linux; the usual default elsewhere)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port_block(offsets: Iterable[int], rng: random.Random | None = None) -> int:
    """A base port such that ``base + o`` is free for every offset, chosen *below* the kernel's ephemeral
    range: a port from ``free_port`` may be taken meanwhile as the source port of any outgoing connection
    (a Kafka client's), one below that range only by a server that binds it."""
    rng = rng or random.Random()
    wanted = sorted(set(offsets))
    low = ephemeral_range()[0]
    for _ in range(1000):
        base = rng.randrange(10000, low - wanted[-1] - 1)
        if all(port_is_free(base + o) for o in wanted):
            return base
    raise RuntimeError(f"no block of free ports below {low}")


def wait_for_port(port: int, timeout: float, still_alive: Callable[[], None]) -> None:
    """Waits until 127.0.0.1:``port`` accepts a TCP connection; ``still_alive`` raises if the process died.

    With a fixed port, a KRaft broker opens its client socket only once it is caught up and unfenced.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        still_alive()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.1)
    raise BrokerError(f"nothing listened on 127.0.0.1:{port} after {timeout:.0f} s")
