"""The control app's one frozen settings model, built at the entry point, and its answer deadlines."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.acks import BreachStage
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue

__all__ = ["ControlSettings", "DeadlinePolicy"]

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


class ControlSettings(BaseModel):
    """Everything one control-app process needs; built once by ``rax run control``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kafka: KafkaSettings = Field(description="How to reach the brokers.")
    namespace: str = Field("rax", description="Topic namespace of the exchange (rax in production).")
    zone: str | None = Field(None, description="Zone to serve (its name); default: the only one.")
    web_host: str = Field("127.0.0.1", description="Address the web endpoints bind to.")
    web_port: int = Field(6066, ge=1, le=65535, description="Port of the web endpoints.")
    replication_factor: int = Field(3, ge=1, le=16, description="Replication of the app's own topics.")
    internal_partitions: int = Field(3, ge=1, le=256, description="Partitions of the app's own topics.")
    deadlines: DeadlinePolicy = Field(default_factory=DeadlinePolicy, description="Answer deadlines.")
    tick_seconds: float = Field(1.0, gt=0, le=60, description="How often deadlines and expiries are checked.")
    review_seconds: float = Field(60.0, gt=0, description="How often overdue reviews are counted.")
    retry_seconds: float = Field(
        1.0, gt=0, le=300, description="Delay before an unresolved reference is retried."
    )
    retries: int = Field(5, ge=0, le=100, description="Retries of an unresolved reference before the DLQ.")
    instance: str = Field(
        "0",
        pattern=r"^[a-z0-9_-]{1,32}$",
        description="Static group member id: unique per worker of one namespace.",
    )
    session_timeout_seconds: float = Field(
        10.0,
        ge=6,
        le=300,
        description="How long the group waits for a silent worker before moving its partitions.",
    )
    data_dir: str | None = Field(
        None, description="faust's working directory (tables live in memory); default: a fresh temporary one."
    )
    stall_seconds: float = Field(
        60.0, ge=3, description="Exit for a restart when input waits and nothing was processed this long."
    )
    replay_margin: int = Field(
        500,
        ge=0,
        description="Records before each committed offset re-read at start (all handling is idempotent).",
    )
    commit_seconds: float = Field(1.0, gt=0, le=60, description="Offset commit interval.")

    @property
    def catalogue(self) -> Catalogue:
        """The topic names of the namespace."""
        return Catalogue(self.namespace)

    @property
    def app_id(self) -> str:
        """faust app id = consumer group = prefix of the app's own topics (``<namespace>-control``)."""
        return f"{self.catalogue.internal_prefix}control"
