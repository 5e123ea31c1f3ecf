"""The loop's gate before a processor: records that failed alone, oversized values, forged records (a bad
MAC or batch signature: audited too) and records sealed at rest that do not open are dead-lettered here
and never reach ``process``; records sealed at rest that open reach it opened."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Message
from prometheus_client import Counter

from schemas.audit import forged_audit
from schemas.codec import encode
from schemas.dlq import DlqReason, DlqStage
from streams.runtime.at_rest import RestProtection
from streams.runtime.context import Context
from streams.runtime.deadletter import DeadLetterBuilder
from streams.runtime.macs import RecordAuthenticator
from streams.runtime.records import Outgoing
from streams.runtime.signatures import BatchVerifier

__all__ = ["Screen"]

log = logging.getLogger(__name__)

#: (topic, partition, offset) of a record -> how many single-record transactions of it failed
FailedRecords = dict[tuple[str, int, int], int]
#: (topic, partition, offset) of a record -> what the processor raised when it was processed alone
FailedWhy = dict[tuple[str, int, int], str]


class Screen:
    """Splits a batch into what the processor may see and dead letters (in the batch's transaction)."""

    def __init__(
        self,
        processor: str,
        max_input_bytes: int,
        dead_letters: DeadLetterBuilder,
        auth: RecordAuthenticator | None,
        forged: Counter,
        failed: FailedRecords,
        sigs: BatchVerifier | None = None,
        rest: RestProtection | None = None,
        audit_topic: str | None = None,
    ) -> None:
        self.processor, self.limit = processor, max_input_bytes
        self.dead_letters, self.auth, self.forged, self.failed = dead_letters, auth, forged, failed
        self.sigs = sigs
        self.rest = rest
        self.audit_topic = audit_topic  # where a forged record is audited (None: only dead-lettered)
        #: what the processor raised on a record alone: its dead letter keeps the value, to replay after a fix
        self.raised: FailedWhy = {}

    def __call__(self, batch: list[Message], ctx: Context) -> list[Message]:
        """The records of ``batch`` to process; the others dead-lettered into ``ctx``."""
        todo = []
        auth, sigs, rest = self.auth, self.sigs, self.rest
        if auth is not None:
            auth.keyring.refresh()
        if sigs is not None:
            sigs.keys.refresh()
        # a record whose transaction failed alone before comes back as a batch of one: only then look it up
        retried = len(batch) == 1 and bool(self.failed)
        for m in batch:
            value = m.value()
            topic = m.topic() or ""
            if retried and self.failed.get(where := (topic, m.partition() or 0, m.offset() or 0), 0) >= 1:
                why = self.raised.pop(where, None)
                if why is not None:  # the processor raised on it: the record itself is safe to write
                    error = f"processing it raised {why}"
                    ctx.dead_letter(m, DlqReason.PROCESSING_ERROR, DlqStage.PROCESS, error[:1000])
                    continue
                ctx.out.append(
                    self.dead_letters.stub(
                        m, DlqReason.PROCESSING_ERROR, DlqStage.PROCESS, "its transaction failed twice alone"
                    )
                )
                ctx.dlq_counts[DlqReason.PROCESSING_ERROR.value] += 1
            elif value is not None and len(value) > self.limit:
                ctx.dead_letter(
                    m, DlqReason.TOO_LARGE, DlqStage.DECODE, f"value of {len(value)} bytes > {self.limit}"
                )
            elif auth is not None and (forged := auth.problem(topic, m.key(), value, m.headers(), ctx.now)):
                self._forged(m, auth.region_of(topic) or "", *forged, ctx)
            elif sigs is not None and (forged := sigs.problem(topic, m.key(), value, m.headers(), ctx.now)):
                self._forged(m, sigs.region_of(topic) or "", *forged, ctx)
            elif rest is not None:
                opened, why = rest.opened(m)
                if why is None:
                    todo.append(opened)
                else:
                    ctx.dead_letter(m, DlqReason.UNOPENABLE, DlqStage.DECODE, why)
            else:
                todo.append(m)
        return todo

    def _forged(self, m: Message, region: str, cause: str, error: str, ctx: Context) -> None:
        """Dead-letter a forged record and audit it (``rax.audit``: who it claimed to be, where it sits, why;
        nothing of its content), both in the batch's transaction; count it once committed."""
        ctx.dead_letter(m, DlqReason.FORGED, DlqStage.VALIDATE, error)
        if self.audit_topic is not None and region:
            now = datetime.fromtimestamp(ctx.now, UTC)
            kind, ms = m.timestamp()
            sent = (
                datetime.fromtimestamp(ms / 1000, UTC) if kind != TIMESTAMP_NOT_AVAILABLE and ms > 0 else now
            )
            where = (m.topic() or "", m.partition() or 0, m.offset() or 0)
            record = forged_audit(*where, region, error, now, sent)
            ctx.out.append(Outgoing(self.audit_topic, record.delivery_id.encode(), encode(record)))
        if ctx.dlq_counts[DlqReason.FORGED.value] <= 3:  # a flood is counted, not logged record by record
            log.warning("forged record on %s[%s]@%s: %s", m.topic(), m.partition(), m.offset(), error)
        ctx.after_commit(self.forged.labels(self.processor, region, cause).inc)
