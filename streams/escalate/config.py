"""The escalate processor's settings: one frozen model, built at the entry point (`rax run escalate`) only."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from streams.runtime import RuntimeSettings

__all__ = ["EscalateSettings"]


class EscalateSettings(BaseModel):
    """How one escalate worker runs: the runtime's loop settings plus its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    runtime: RuntimeSettings = Field(
        default_factory=lambda: RuntimeSettings(max_input_bytes=256 * 1024),
        description="The stream loop: Kafka, namespace, worker id, batches, deadlines, web port.",
    )
    sweep_s: float = Field(
        300.0,
        gt=0,
        description="How often a pass starts over the state to delete the plates whose reads all fell "
        "out of every rule's window, and the operations expired (wall clock). Windows are hours long: a "
        "plate kept five minutes more costs little, a pass over millions of plates costs CPU.",
    )
    sweep_chunk: int = Field(
        20_000,
        ge=1,
        description="Most plates one tick looks at in a sweep: a sweep of many plates is spread over "
        "ticks, so it never stalls the reading of new reads for long.",
    )
    operation_expiry_s: float = Field(
        30 * 24 * 3600.0,
        gt=0,
        description="How long an operation is kept after it opened (wall clock): one still open then "
        "ends as expired; a close command after it is dead-lettered as unknown.",
    )
