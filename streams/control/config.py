"""The control app's one frozen settings model, built at the entry point, and its answer deadlines."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.acks import BreachStage
from schemas.topics import Catalogue
from streams.runtime import RuntimeSettings

__all__ = ["ControlSettings", "DeadlinePolicy", "RetentionPolicy"]

_MINUTE = 60.0
_HOUR = 3600.0


def _check_rules(rules: dict[str, float]) -> dict[str, float]:
    if "*" not in rules:
        raise ValueError("needs a '*' rule: the deadline of every action and priority not listed")
    for rule, seconds in rules.items():
        if rule != "*" and rule.count(":") != 1:
            raise ValueError(f"rule {rule!r}: write 'action:priority', 'action:*', '*:priority' or '*'")
        if seconds <= 0:
            raise ValueError(f"rule {rule!r}: a deadline must be positive, got {seconds}")
    return rules


class DeadlinePolicy(BaseModel):
    """How long a recipient has to answer a delivery, by the entry's (or alert's) action and priority.

    Rules are ``action:priority`` → seconds; the most specific rule wins (``intercept:urgent``, then
    ``intercept:*``, then ``*:urgent``, then ``*``). After NCIC: 10 minutes for an urgent intercept,
    an hour otherwise; a final outcome (verified, intercepted …) after SIS: within 12 hours.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    acknowledge: dict[str, float] = Field(
        default_factory=lambda: {"intercept:urgent": 10 * _MINUTE, "*": _HOUR},
        description="Seconds until a delivery must be acknowledged (any answer, `received` included).",
    )
    outcome: dict[str, float] = Field(
        default_factory=lambda: {"intercept:urgent": _HOUR, "*": 12 * _HOUR},
        description="Seconds until a delivery that asks for action must have a final outcome.",
    )

    @field_validator("acknowledge", "outcome")
    @classmethod
    def _rules(cls, rules: dict[str, float]) -> dict[str, float]:
        return _check_rules(rules)

    def seconds(self, stage: BreachStage, action: str, priority: str) -> float:
        """The deadline in seconds of ``stage`` for a delivery with ``action`` and ``priority``."""
        rules = self.acknowledge if stage == BreachStage.ACKNOWLEDGE else self.outcome
        for rule in (f"{action}:{priority}", f"{action}:*", f"*:{priority}"):
            if rule in rules:
                return rules[rule]
        return rules["*"]


_DAY = 86400


class RetentionPolicy(BaseModel):
    """How long the control app keeps records that have done their work (``streams.control.retention``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    deliveries_s: float = Field(30 * _DAY, gt=0, description="A delivery is forgotten this long after made.")
    entries_s: float = Field(
        8 * _DAY, gt=0, description="An ended entry is forgotten this long after it ended."
    )
    alerts_s: float = Field(
        401 * _DAY, gt=0, description="An alert message is forgotten this long after sent."
    )
    every_s: float = Field(600.0, gt=0, description="How often a pass over the stores starts.")
    slice_keys: int = Field(20_000, ge=1, description="Most keys one tick of a pass looks at.")


class ControlSettings(BaseModel):
    """How one control-app worker runs: the runtime's loop settings plus the app's own; built once by
    ``rax run control``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    runtime: RuntimeSettings = Field(
        default_factory=RuntimeSettings,
        description="The stream loop: Kafka, namespace, worker id, batches, deadlines, tick, web port.",
    )
    zone: str | None = Field(None, description="Zone to serve (its name); default: the first one found.")
    deadlines: DeadlinePolicy = Field(default_factory=DeadlinePolicy, description="Answer deadlines.")
    park_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="How long an Update or Cancel waits for the message it refers to before it is "
        "dead-lettered (unknown_reference).",
    )
    review_s: float = Field(
        60.0, gt=0, description="How often active and review-overdue watchlist entries are counted."
    )
    views_s: float = Field(
        1.0, gt=0, le=60, description="How often the /outcomes figures are prepared when they changed."
    )
    retention: RetentionPolicy = Field(
        default_factory=RetentionPolicy,
        description="When deliveries, ended entries and alerts are forgotten.",
    )
    zone_wait_s: float = Field(
        30.0,
        gt=0,
        description="How long start-up waits for a zone on the zone topic before it gives up.",
    )

    @property
    def catalogue(self) -> Catalogue:
        """The topic names of the namespace."""
        return Catalogue(self.runtime.namespace)
