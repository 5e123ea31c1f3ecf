"""What the pure control logic hands to its glue: outputs to produce, rejections, and time conversions.

Exceptions::

    Exception
    └── Rejected            bad input: goes to rax.dlq.control with ``reason`` and ``stage``
        └── Unresolved      a reference not (yet) known: an alert waits for it a while (parked),
                            an acknowledgement is dead-lettered at once
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from schemas.codec import encode
from schemas.delivery import Delivery
from schemas.delivery_notice import DeliveryNotice
from schemas.dlq import DlqReason, DlqStage

__all__ = ["Output", "Rejected", "Unresolved", "from_epoch", "to_epoch"]


@dataclass(frozen=True, slots=True)
class Output:
    """One record to produce: topic, key, value (``None`` is a tombstone); a delivery carries its notice."""

    topic: str
    key: bytes
    value: bytes | None
    notice: bytes | None = None  # a delivery's DeliveryNotice, for the control inbox

    @classmethod
    def delivery(cls, topic: str, delivery: Delivery) -> Output:
        """The delivery to its recipient's topic, with the notice the control inbox gets of it."""
        key = delivery.delivery_id.encode()
        return cls(topic, key, encode(delivery), encode(DeliveryNotice.of(delivery)))


class Rejected(Exception):
    """Input the control app refuses; the message says why, for the person reading the DLQ."""

    def __init__(self, reason: DlqReason, stage: DlqStage, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.stage = stage


class Unresolved(Rejected):
    """A reference to something not known (yet): an Update read before its Alert, an ack of no delivery.

    ``waiting_for`` names the state key that would resolve it (the referenced message), if any.
    """

    def __init__(self, message: str, waiting_for: str | None = None) -> None:
        super().__init__(DlqReason.UNKNOWN_REFERENCE, DlqStage.VALIDATE, message)
        self.waiting_for = waiting_for


def to_epoch(at: datetime) -> float:
    """Seconds since the epoch of an aware datetime (the form times take in the stores)."""
    return at.timestamp()


def from_epoch(seconds: float) -> datetime:
    """The UTC datetime of ``seconds`` since the epoch."""
    return datetime.fromtimestamp(seconds, UTC)
