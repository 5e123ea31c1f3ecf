"""Login throttling: after a few failures a client address and an officer name are refused for a while."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

__all__ = ["LoginLimiter"]


class LoginLimiter:
    """At most ``failures`` failed logins per key (address, and officer name) within ``window_s``.

    Both keys are counted so that neither many names from one address nor one name from many addresses
    gets more than the allowance. A success clears the name's count (not the address's).
    """

    def __init__(
        self, failures: int = 5, window_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures, self.window_s, self._clock = failures, window_s, clock
        self._seen: dict[str, deque[float]] = {}

    def retry_after(self, address: str, name: str) -> float:
        """Seconds until a login from ``address`` for ``name`` may be tried; 0 when it may be now."""
        now = self._clock()
        wait = 0.0
        for key in (f"a:{address}", f"n:{name}"):
            times = self._recent(key, now)
            if len(times) >= self.failures:
                wait = max(wait, times[0] + self.window_s - now)
        return wait

    def failed(self, address: str, name: str) -> None:
        now = self._clock()
        for key in (f"a:{address}", f"n:{name}"):
            self._seen.setdefault(key, deque()).append(now)
        if len(self._seen) > 100_000:  # bound memory under a spray of names
            self._seen = {k: v for k, v in self._seen.items() if self._recent(k, now)}

    def succeeded(self, name: str) -> None:
        self._seen.pop(f"n:{name}", None)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._seen.get(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times
