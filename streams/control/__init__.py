"""The control app (faust-streaming): alerts with Update/Cancel, the watchlist lifecycle, acks and deadlines.

Layout: ``config`` (the one settings model), ``common`` (outputs, rejections, time helpers), pure logic
per feature (``alerts``, ``watchlist``, ``acks``), ``metrics``, and the faust / Kafka glue in
``worker``. The pure modules import neither Kafka nor faust; ``worker`` is imported only to run.
"""

from streams.control.config import ControlSettings, DeadlinePolicy

__all__ = ["ControlSettings", "DeadlinePolicy"]
