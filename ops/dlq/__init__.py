"""Dead letters for operators: list them with their reasons, and replay chosen ones to their source topic."""

from ops.dlq.replay import DeadRecord, read_dead_letters, replay

__all__ = ["DeadRecord", "read_dead_letters", "replay"]
