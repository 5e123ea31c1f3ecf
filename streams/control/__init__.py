"""The control app: alerts with Update/Cancel, the watchlist lifecycle, acks, outcomes and deadlines.

Layout: ``config`` (the one settings model), ``common`` (outputs, rejections, time helpers), ``state``
(store values), pure logic per feature (``alerts``, ``watchlist``, ``acks``), ``metrics``, and the glue
that makes it a ``streams.runtime`` processor: ``processor`` (``ControlProcessor``), ``intake`` (stage
1: re-key into the inbox), ``envelope`` (the inbox record and its original), ``decide`` (stage 2),
``timers`` (deadlines, expiries, parked alerts), ``zone`` and ``views``.
"""

from streams.control.config import ControlSettings, DeadlinePolicy

__all__ = ["ControlSettings", "DeadlinePolicy"]
