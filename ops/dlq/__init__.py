"""Dead letters for operators: list them with their reasons; replay chosen ones as their region, audited."""

from ops.dlq.replay import DeadRecord, ReplayRefused, read_dead_letters, replay

__all__ = ["DeadRecord", "ReplayRefused", "read_dead_letters", "replay"]
