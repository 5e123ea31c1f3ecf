"""The ``checkpoint-file`` connector: tails a directory of pass-record files (CSV or JSON lines)."""

from connectors.checkpoint_file.config import CheckpointFileConfig
from connectors.checkpoint_file.source import CheckpointFileSource

__all__ = ["CheckpointFileConfig", "CheckpointFileSource"]
