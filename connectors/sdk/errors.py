"""The connector exceptions, one hierarchy for sources and the runtime.

Exceptions::

    Exception
    └── ConnectorError        base of everything a connector or its runtime raises on purpose
        ├── FatalError        cannot go on: the process exits non-zero with ``.hint`` (what to do)
        └── SourceUnavailable the source is down for now: the runtime backs off and polls again

Bad input is not an exception: a source hands it over as a ``SourceRecord`` with ``error`` set, or the
runtime's validation rejects it, and it goes to the DLQ.
"""

from __future__ import annotations

__all__ = ["ConnectorError", "FatalError", "SourceUnavailable"]


class ConnectorError(Exception):
    """Base of the exceptions connectors and their runtime raise."""


class FatalError(ConnectorError):
    """The connector cannot go on; ``hint`` tells the operator what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base}: {self.hint}" if self.hint else base


class SourceUnavailable(ConnectorError):
    """A retriable source failure (a directory on a share that went away, a port in use for now)."""
