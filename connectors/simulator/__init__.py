"""The ``simulator`` connector: a zone's border checkpoints producing realistic hits at a set rate."""

from connectors.simulator.config import SimulatorConfig
from connectors.simulator.source import SimulatorSource

__all__ = ["SimulatorConfig", "SimulatorSource"]
