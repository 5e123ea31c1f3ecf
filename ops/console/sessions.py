"""Signed-in officers' sessions: random tokens with idle and absolute expiry, each with its CSRF token."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from ops.console.officers import Role

__all__ = ["Session", "Sessions", "same_token"]


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens; False if either is missing."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


@dataclass
class Session:
    """One signed-in browser: whose, which role, its CSRF token, and until when it is valid."""

    token: str
    officer: str
    role: Role
    csrf: str
    started: float
    last_seen: float


class Sessions:
    """In-memory sessions (a restart signs everyone out, which is the safe side for a console).

    A session ends ``idle_s`` after its last request or ``max_s`` after sign-in, whichever comes first.
    """

    def __init__(self, idle_s: float, max_s: float, clock: Callable[[], float] = time.time) -> None:
        self.idle_s, self.max_s, self._clock = idle_s, max_s, clock
        self._by_token: dict[str, Session] = {}

    def start(self, officer: str, role: Role) -> Session:
        now = self._clock()
        s = Session(secrets.token_urlsafe(32), officer, role, secrets.token_urlsafe(32), now, now)
        self._by_token[s.token] = s
        self._prune(now)
        return s

    def get(self, token: str | None, *, touch: bool = True) -> Session | None:
        """The live session of ``token``, or None if unknown or expired.

        A request restarts its idle clock; ``touch=False`` only looks (an open event stream is not the
        officer doing something, so it does not keep an unattended page signed in).
        """
        if not token:
            return None
        s = self._by_token.get(token)
        now = self._clock()
        if s is None:
            return None
        if now - s.last_seen > self.idle_s or now - s.started > self.max_s:
            del self._by_token[token]
            return None
        if touch:
            s.last_seen = now
        return s

    def end(self, token: str | None) -> None:
        if token:
            self._by_token.pop(token, None)

    def __len__(self) -> int:
        return len(self._by_token)

    def _prune(self, now: float) -> None:
        dead = [
            t
            for t, s in self._by_token.items()
            if now - s.last_seen > self.idle_s or now - s.started > self.max_s
        ]
        for t in dead:
            del self._by_token[t]
