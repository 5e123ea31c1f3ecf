"""A sink connector: pushes a region's deliveries to its command centre's own HTTP endpoint, at least once."""

from connectors.centre_sink.config import CentreSinkConfig
from connectors.centre_sink.sink import CentreSink

__all__ = ["CentreSink", "CentreSinkConfig"]
