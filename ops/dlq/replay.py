"""Reads a dead-letter topic; replays chosen records to their region's input topic, as that region, audited.

A replay writes the original key and bytes to the input topic the record came from, with two extra
headers (``rax.replayed.from`` = dead-letter topic, partition and offset; ``rax.replay.id`` = the id of
its audit record), using the identity of the region the record came from, so the broker holds a replay
to exactly what that region may write itself. ``policy.decide`` refuses every other target. Nothing is
sent unless every chosen record may be; every decision is written to ``rax.audit`` as a ``ReplayAudit``
(the ``sent`` ones before anything is sent). The original record's MAC headers (``rax.mac``,
``rax.mac.key``) and batch signature (``rax.sig*``), which its dead letter kept, go with it: they cover
topic, key and value, which a replay keeps, so a record the region made still verifies (while its key
is valid) and a forged one is refused again as forged. The processors are idempotent downstream (deterministic
event and delivery ids), so replaying a record twice delivers nothing twice.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

from ops.dlq.policy import ReplayDecision, decide
from ops.zone.plan import region_user
from schemas.base import digest_id
from schemas.codec import encode
from schemas.crypto import MAC_HEADER, MAC_KEY_HEADER
from schemas.crypto.batches import SIG_BATCH_HEADER, SIG_HEADER, SIG_KEY_HEADER
from schemas.dlq import TRUNCATED, DeadLetter, DlqHeaderError, parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.replay_audit import ReplayAudit, ReplayOutcome, ReplayRefusal
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

__all__ = ["REPLAY_HEADER", "REPLAY_ID_HEADER", "DeadRecord", "ReplayRefused", "read_dead_letters", "replay"]

REPLAY_HEADER = "rax.replayed.from"
REPLAY_ID_HEADER = "rax.replay.id"

#: The settings of a region's own identity, or None when its credentials are not at hand.
Identities = Callable[[str], KafkaSettings | None]


#: the original's authentication headers a replay keeps: its MAC and its batch signature cover the
#: topic, key and value, which a replay does not change
_KEPT = frozenset({MAC_HEADER, MAC_KEY_HEADER, SIG_HEADER, SIG_KEY_HEADER, SIG_BATCH_HEADER})


@dataclass(frozen=True)
class DeadRecord:
    """One dead letter: where it sits, its context and its original bytes."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    letter: DeadLetter | None  # None when its headers are not a valid dead-letter header set
    header_error: str | None = None
    truncated: bool = False  # the value is cut (or absent): not the original record
    mac: tuple[tuple[str, bytes], ...] = ()  # the original's rax.mac* and rax.sig* headers, if it had them


class ReplayRefused(Exception):
    """Some chosen dead letters may not be replayed: nothing was sent; ``refusals`` says which and why."""

    def __init__(self, topic: str, refusals: list[tuple[DeadRecord, str]]) -> None:
        self.refusals = refusals
        lines = [f"{topic}[{r.partition}]@{r.offset}: {why}" for r, why in refusals]
        super().__init__(
            f"{len(refusals)} of the chosen dead letters may not be replayed, so none was:\n  "
            + "\n  ".join(lines)
        )


def read_dead_letters(
    settings: KafkaSettings,
    cat: Catalogue,
    topic: str,
    keep: Callable[[DeadRecord], bool] = lambda _r: True,
    timeout: float = 30.0,
) -> list[DeadRecord]:
    """Every dead letter on ``topic`` that ``keep`` selects, oldest first per partition."""
    # assigned, never joined: the group id only serves librdkafka's coordinator look-up
    consumer = ClientFactory(settings, f"{cat.operator_prefix}dlq").reader(
        group_id=f"{cat.operator_prefix}dlq"
    )
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        if meta.error is not None:  # a region not in the zone, or a namespace never applied
            raise RuntimeError(f"cannot read {topic}: {meta.error.str()}")
        parts = meta.partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
        done: set[int] = set()
        out: list[DeadRecord] = []
        deadline = time.monotonic() + timeout
        while len(done) < len(parts) and time.monotonic() < deadline:
            for msg in consumer.consume(1000, 0.5):
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        done.add(msg.partition() or 0)
                    elif not err.retriable():
                        raise RuntimeError(f"cannot read {topic}: {err.str()}")
                    continue
                raw = msg.headers()
                headers = list(raw.items()) if isinstance(raw, dict) else raw
                try:
                    letter, problem = parse_dlq_headers(headers), None
                except DlqHeaderError as exc:
                    letter, problem = None, str(exc)
                cut = any(name == TRUNCATED for name, _ in headers or ())
                mac = tuple(
                    (name, value)
                    for name, value in headers or ()
                    if name in _KEPT and isinstance(value, bytes)
                )
                record = DeadRecord(
                    msg.partition() or 0, msg.offset() or 0, msg.key(), msg.value(), letter, problem, cut, mac
                )
                if keep(record):
                    out.append(record)
        return out
    finally:
        consumer.close()


def _audit(
    topic: str,
    r: DeadRecord,
    d: ReplayDecision,
    who: KafkaSettings | None,
    operator: str,
    outcome: ReplayOutcome,
    at: datetime,
    detail: str = "",
) -> ReplayAudit:
    return ReplayAudit(
        replay_id=digest_id("replay", topic, str(r.partition), str(r.offset), at.isoformat(), outcome.value),
        dlq_topic=topic,
        dlq_partition=r.partition,
        dlq_offset=r.offset,
        region=d.region,
        target_topic=d.target,
        identity=(who.username or "anonymous") if who is not None else None,
        operator=operator,
        outcome=outcome,
        refusal=d.refusal,
        value_sha256=hashlib.sha256(r.value).hexdigest() if r.value is not None else None,
        at=at,
        detail=detail[:1000] or None,
    )


def _write_audits(settings: KafkaSettings, cat: Catalogue, audits: list[ReplayAudit]) -> None:
    producer = ClientFactory(settings, f"{cat.operator_prefix}dlq-replay").producer()
    errors: list[KafkaError] = []
    for a in audits:
        producer.produce(
            cat.audit,
            encode(a),
            a.replay_id.encode(),
            on_delivery=lambda err, _m: errors.append(err) if err else None,
        )
    if producer.flush(30) or errors:
        raise RuntimeError(f"the replay's audit records were not accepted by {cat.audit}: {errors[:3]}")


def replay(
    settings: KafkaSettings,
    cat: Catalogue,
    topic: str,
    records: list[DeadRecord],
    identities: Identities,
) -> int:
    """Replays ``records`` of dead-letter ``topic`` as their regions; returns how many Kafka acknowledged.

    ``settings`` is the operator's (reads, audits); ``identities`` gives each region's own settings.
    Raises ``ReplayRefused`` (nothing sent) when any record may not be replayed, ``RuntimeError`` when
    Kafka refused an audit record (nothing sent) or a replayed record (its failure audited).
    """
    operator = settings.username or "anonymous"
    at = datetime.now(UTC)
    plans: list[tuple[DeadRecord, ReplayDecision, KafkaSettings | None]] = []
    for r in records:
        d = decide(cat, topic, r.letter, r.truncated)
        who = identities(d.region) if d.allowed and d.region else None
        if d.allowed and who is None:
            d = ReplayDecision(
                d.region,
                d.target,
                ReplayRefusal.NO_IDENTITY,
                f"the credentials of {region_user(d.region or '')} are not at hand: "
                "a replay runs only as the region the record came from",
            )
        plans.append((r, d, who))
    refused = [(r, d) for r, d, _ in plans if not d.allowed]
    if refused:
        _write_audits(
            settings,
            cat,
            [_audit(topic, r, d, None, operator, ReplayOutcome.REFUSED, at, d.message) for r, d in refused],
        )
        raise ReplayRefused(topic, [(r, d.message) for r, d in refused])
    sent = {id(r): _audit(topic, r, d, w, operator, ReplayOutcome.SENT, at) for r, d, w in plans}
    _write_audits(settings, cat, list(sent.values()))
    failed: list[tuple[DeadRecord, ReplayDecision, KafkaSettings | None, str]] = []
    for region in sorted({d.region for _, d, _ in plans if d.region}):
        mine = [(r, d, w) for r, d, w in plans if d.region == region]
        assert mine[0][2] is not None
        producer = ClientFactory(mine[0][2], f"{cat.operator_prefix}dlq-replay@{region}").producer()
        results: dict[int, KafkaError | None] = {}
        for r, d, _ in mine:
            assert d.target is not None
            origin = f"{topic}:{r.partition}:{r.offset}".encode()

            def done(
                err: KafkaError | None,
                _msg: object,
                key: int = id(r),
                into: dict[int, KafkaError | None] = results,
            ) -> None:
                into[key] = err

            producer.produce(
                d.target,
                r.value,
                r.key,
                headers=[
                    (REPLAY_HEADER, origin),
                    (REPLAY_ID_HEADER, sent[id(r)].replay_id.encode()),
                    *r.mac,
                ],
                on_delivery=done,
            )
            producer.poll(0)
        producer.flush(60)
        for r, d, w in mine:
            err = results.get(id(r))
            if id(r) not in results or err is not None:
                failed.append((r, d, w, err.str() if err is not None else "not acknowledged within 60 s"))
    if failed:
        _write_audits(
            settings,
            cat,
            [_audit(topic, r, d, w, operator, ReplayOutcome.FAILED, at, why) for r, d, w, why in failed],
        )
        raise RuntimeError(
            f"{len(failed)} of {len(plans)} replayed records were not accepted: "
            + "; ".join(f"@{r.offset} to {d.target}: {why}" for r, d, _, why in failed[:3])
        )
    return len(plans)
