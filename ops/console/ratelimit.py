"""Login throttling: after a few failures a client address and an officer name are refused for a while."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable

__all__ = ["LoginLimiter"]


class LoginLimiter:
    """At most ``failures`` failed logins per key (address, and officer name) within ``window_s``.

    Both keys are counted so that neither many names from one address nor one name from many addresses
    gets more than the allowance. A success clears the name's count (not the address's). A check still
    running (``begin`` … ``end``) counts as a failure until it ends, so a burst of concurrent sign-ins
    gets no more guesses than one after another.
    """

    def __init__(
        self, failures: int = 5, window_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures, self.window_s, self._clock = failures, window_s, clock
        self._seen: dict[str, deque[float]] = {}
        self._running: Counter[str] = Counter()

    def retry_after(self, address: str, name: str) -> float:
        """Seconds until a login from ``address`` for ``name`` may be tried; 0 when it may be now."""
        now = self._clock()
        wait = 0.0
        for key in _keys(address, name):
            times = self._recent(key, now)
            if len(times) + self._running[key] >= self.failures:
                wait = max(wait, times[0] + self.window_s - now if times else 1.0)
        return wait

    def begin(self, address: str, name: str) -> None:
        """A password check of ``name`` from ``address`` starts (``end`` it whatever its result)."""
        self._running.update(_keys(address, name))

    def end(self, address: str, name: str) -> None:
        self._running.subtract(_keys(address, name))
        self._running = +self._running  # drops the keys back at zero

    def failed(self, address: str, name: str) -> None:
        now = self._clock()
        for key in _keys(address, name):
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


def _keys(address: str, name: str) -> tuple[str, str]:
    return f"a:{address}", f"n:{name}"
