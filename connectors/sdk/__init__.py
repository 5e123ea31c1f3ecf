"""The connector SDK: a source implements setup / poll / commit / stop, the runtime does the Kafka part.

A minimal source::

    class MySource(Source[MyConfig]):
        name, kind, config_model = "my-source", RecordKind.HITS, MyConfig

        def poll(self, timeout: float) -> Batch:
            return Batch(records=[SourceRecord(value={...}, raw=b"...")], position={"seq": 1})

    Runtime(MySource, MyConfig(), RuntimeConfig(region="510000"), KafkaSettings()).run()

Exceptions: see ``connectors.sdk.errors`` (``ConnectorError`` > ``FatalError``, ``SourceUnavailable``).
"""

from connectors.sdk.config import RuntimeConfig
from connectors.sdk.errors import ConnectorError, FatalError, SourceUnavailable
from connectors.sdk.metrics import ConnectorMetrics, connector_metrics
from connectors.sdk.positions import PositionStore
from connectors.sdk.records import Batch, Done, Original, Position, RecordKind, SourceRecord
from connectors.sdk.runtime import RunReport, Runtime
from connectors.sdk.source import Source, SourceContext
from connectors.sdk.validate import Rejection, Validated, topic_for, validate

__all__ = [
    "Batch",
    "ConnectorError",
    "ConnectorMetrics",
    "Done",
    "FatalError",
    "Original",
    "Position",
    "PositionStore",
    "RecordKind",
    "Rejection",
    "RunReport",
    "Runtime",
    "RuntimeConfig",
    "Source",
    "SourceContext",
    "SourceRecord",
    "SourceUnavailable",
    "Validated",
    "connector_metrics",
    "topic_for",
    "validate",
]
