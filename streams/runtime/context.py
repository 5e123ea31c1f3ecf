"""What a processor sees of one transaction: emit outputs, dead-letter inputs, read and write its stores.

Lifecycle: the loop makes one ``Context`` per transaction (a batch, its timers, or both), hands it to the
processor, and produces everything it collected in that transaction. A processor never sees Kafka.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from schemas.dlq import DlqReason, DlqStage
from streams.runtime.at_rest import RestProtection
from streams.runtime.deadletter import DeadLetterBuilder
from streams.runtime.records import Headers, InRecord, Outgoing
from streams.runtime.stores import Scope, Store, Stores

__all__ = ["Context"]


@dataclass
class Context:
    """One transaction's outputs, dead letters and stores; ``now`` is the batch's wall clock (epoch s)."""

    now: float
    stores: Stores
    dead_letters: DeadLetterBuilder
    out: list[Outgoing] = field(default_factory=list)
    dlq_counts: Counter[str] = field(default_factory=Counter)
    committed_hooks: list[Callable[[], None]] = field(default_factory=list)
    written: set[Scope] = field(default_factory=set)  # the scopes whose changes this transaction sent
    rest: RestProtection | None = None  # the processors' own topics sealed at rest (None: a test's context)

    def wire_key(self, topic: str, key: bytes) -> bytes:
        """``key`` as it is written to ``topic`` (streams.runtime.at_rest): what the partitioner hashes."""
        return key if self.rest is None else self.rest.wire_key(topic, key)

    def emit(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Headers | None = None
    ) -> None:
        """Produce one record in this transaction."""
        self.out.append(Outgoing(topic, key, value, headers))

    def dead_letter(self, record: InRecord, reason: DlqReason, stage: DlqStage, error: str) -> None:
        """Reject ``record``: its bounded dead letter is produced in this transaction."""
        self.out.append(self.dead_letters.build(record, reason, stage, error))
        self.dlq_counts[reason.value] += 1

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` once this transaction has committed — for counters and histograms: a batch that
        aborts is processed again, and counting it at processing time would count it twice."""
        self.committed_hooks.append(hook)

    def store(self, name: str, scope: Scope) -> Store:
        """The store ``name`` of one input partition (restored before its first record)."""
        return self.stores.get(name, scope)
