"""Loopback ports for local brokers: pick a free fixed port, and wait until one accepts connections."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from ops.kafka.errors import BrokerError

__all__ = ["free_port", "port_is_free", "wait_for_port"]


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
    """A port that is free now, chosen by the kernel; the broker is then started on it (never port 0)."""
    exclude = exclude or set()
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in exclude:
            return port


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
