"""The ``checkpoint-http`` connector: an HTTP endpoint that takes pass records one by one or in batches."""

from connectors.checkpoint_http.config import CheckpointHttpConfig
from connectors.checkpoint_http.source import CheckpointHttpSource

__all__ = ["CheckpointHttpConfig", "CheckpointHttpSource"]
