"""When a region owes an answer to a delivery: the control app's default deadlines, by action and priority."""

from __future__ import annotations

__all__ = ["ACK_KINDS", "OUTCOME_ACTIONS", "ack_deadline", "outcome_deadline"]

#: delivery kinds a recipient acknowledges (breach notices and closures are owed nothing)
ACK_KINDS = frozenset({"match", "alert", "alert_update", "alert_cancel", "operation"})
#: actions that ask the recipient for a final outcome
OUTCOME_ACTIONS = frozenset({"intercept", "discreet_report"})


def ack_deadline(action: str | None, priority: str | None) -> float:
    """Seconds to acknowledge: 10 min for an urgent intercept, 1 h otherwise (after NCIC and SIS)."""
    return 600.0 if (action, priority) == ("intercept", "urgent") else 3600.0


def outcome_deadline(action: str | None, priority: str | None) -> float | None:
    """Seconds to a final outcome: 1 h for an urgent intercept, 12 h for others that ask; else ``None``."""
    if action not in OUTCOME_ACTIONS:
        return None
    return 3600.0 if (action, priority) == ("intercept", "urgent") else 12 * 3600.0
