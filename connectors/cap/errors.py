"""The one exception of the CAP connector: a refused document, with its bounded dead-letter reason."""

from __future__ import annotations

from schemas.dlq import DlqReason

__all__ = ["CapError"]


class CapError(ValueError):
    """A CAP document that is refused; ``reason`` is the DLQ reason code."""

    def __init__(self, message: str, reason: DlqReason) -> None:
        super().__init__(message)
        self.reason = reason
