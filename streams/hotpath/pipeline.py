"""One batch of checkpoint hits in, the records to write out: validate → match → dedup → recipients → redact.

No Kafka here: the worker hands in consumed messages (anything with topic/partition/offset/key/value)
and writes what comes back in one transaction. Nothing is dropped silently: every record ends as a
hit without matches (counted), a duplicate of a matching hit (counted), matches with their deliveries
and audit records, or a dead letter with its reason.

Matching comes before dedup (the cheap look-up before the state): a hit that matches nothing produces
nothing, repeated or not, so only matching hits are deduplicated, held in the window and written to
its changelog — the match rate's share of the hits (~1 %), not all of them. A repeated read is judged
by what it matches when it comes: a pass whose first read matched nothing (the entry placed a second
later) is delivered from its next read, once. A read the normaliser corrected into the entry's plate
(``川AI2345``, kept in ``plate_read``) is delivered as a misread, not an exact match
(``streams.hotpath.corrected``).

A hit is read as a ``schemas.hit_lean.HitView`` (checked exactly as the model would, without building
it); the ``CheckpointHit`` is built only where one is written or audited: on a match, an impersonation
or an implausible time. Per-batch work (the clock, the time bounds, each partition's region, window
and hit count) is done once a batch, not once a hit.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from schemas.audit import AuditReason, AuditRecord, Decision, audit_id
from schemas.blind import MatchingKey
from schemas.codec import DecodeError, encode
from schemas.delivery import DeliveryKind, delivery_id
from schemas.delivery_notice import DeliveryNotice
from schemas.dlq import DlqReason, DlqStage
from schemas.hit_lean import HitView, read_hit
from schemas.hits import CheckpointHit
from schemas.inbox import InboxKind, inbox_headers
from schemas.match_records import match_audit, match_delivery, match_delivery_id
from schemas.matching import Match, MatchKind, match_id
from schemas.recipients import decide_recipients, in_scope
from schemas.seal_policy import hides_plates, seal_decisions
from schemas.sealed_delivery import seal_delivery
from schemas.sharing import RedactField
from schemas.times import TimeBounds, hit_time_problem
from schemas.topics import Catalogue, TopicKind
from schemas.zone import Zone
from streams.hotpath.confusion import certainty
from streams.hotpath.corrected import corrections
from streams.hotpath.dedup import DedupWindow
from streams.hotpath.matcher import MatchResult
from streams.hotpath.seen import SeenPlates
from streams.hotpath.watchlist_state import EntryFacts, WatchlistState
from streams.runtime import DeadLetterBuilder, InRecord, Outgoing

__all__ = ["BatchResult", "HitPipeline", "InRecord", "Outgoing", "Sighting"]

#: One hit as dedup saw it: (event id, plate, colour, checkpoint, pass time) — what the dedup changelog keeps.
Sighting = tuple[str, str, str | None, str, float]

log = logging.getLogger(__name__)


#: Kinds of match, best first: past the fan-out cap the best are delivered
_KIND_RANK = {"exact": 0, "misread": 1, "partial": 2}

#: The bounds on a read's times before any zone is loaded (the zone's ``times`` once one is).
_DEFAULT_BOUNDS = TimeBounds()


@dataclass
class BatchResult:
    """What one batch produced, and the counts the worker turns into metrics."""

    out: list[Outgoing] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)
    matches: Counter[str] = field(default_factory=Counter)
    deliveries: Counter[str] = field(default_factory=Counter)
    sealed: Counter[str] = field(default_factory=Counter)  # of ``deliveries``, those sealed
    refusals: Counter[str] = field(default_factory=Counter)
    dlq: Counter[str] = field(default_factory=Counter)
    #: per region, misread matches not delivered because the read is a known vehicle (``seen``)
    withheld: Counter[str] = field(default_factory=Counter)
    delivered_pass_times: list[float] = field(default_factory=list)
    #: per input partition, every matching hit dedup saw in this batch, in order (the changelog's delta)
    sightings: dict[tuple[str, int], list[Sighting]] = field(default_factory=dict)


class _Part:
    """One input partition within one batch: its region, its hit count, its dedup window and sightings."""

    __slots__ = ("hits", "region", "sightings", "window")

    def __init__(self, region: str | None) -> None:
        self.region = region  # None: not a hits topic
        self.hits = 0
        self.window: DedupWindow | None = None  # fetched at the partition's first valid hit
        self.sightings: list[Sighting] = []


class _Batch:
    """What every hit of one batch is judged against: the clock, the zone, the bounds on read times."""

    __slots__ = ("blind", "bounds", "earliest", "latest", "now", "now_s", "parts", "zone")

    def __init__(self, now: datetime, zone: Zone | None, blind: bool) -> None:
        self.now, self.now_s, self.zone, self.blind = now, now.timestamp(), zone, blind
        self.bounds = zone.times if zone is not None else _DEFAULT_BOUNDS
        # the bounds hit_time_problem applies (its common case), as datetimes once a batch, not a hit
        self.earliest = now - timedelta(seconds=self.bounds.read_age_s)
        self.latest = now + timedelta(seconds=self.bounds.skew_s)
        self.parts: dict[tuple[str, int], _Part] = {}


class HitPipeline:
    """Per-partition dedup state plus the stateless steps; the worker owns one."""

    def __init__(
        self,
        cat: Catalogue,
        watchlist: WatchlistState,
        zone: Callable[[], Zone | None],
        dedup_window_s: float = 10.0,
        max_fanout: int = 32,
        dead_letters: DeadLetterBuilder | None = None,
        seen: SeenPlates | None = None,
        matching_keys: tuple[MatchingKey, ...] = (),
        decoder: Callable[[bytes], HitView] = read_hit,
        blind_to_matches: bool = False,
    ) -> None:
        self.cat = cat
        # blind matches go to rax.matches (for the escalate processor) only when it is sealed at rest:
        # a match record holds the read, which names the blind entry's plate
        self.blind_to_matches = blind_to_matches
        watchlist.blind.use(matching_keys)  # the zone's matching keys (blind entries), from the secret store
        self.seen = seen  # known vehicles: their misread matches are withheld (streams.hotpath.seen)
        self.watchlist = watchlist
        self._zone = zone
        self._window = dedup_window_s
        self._max_fanout = max_fanout
        self.dead_letters = dead_letters or DeadLetterBuilder(cat.dlq("hotpath"), "hotpath")
        self._dedup: dict[tuple[str, int], DedupWindow] = {}
        self._regions: dict[str, str | None] = {}
        self._last_seen: dict[str, tuple[str, float]] = {}  # checkpoint -> (region, newest pass time)
        #: record value -> hit view; ``schemas.hit_lean.read_hit_model`` decodes by the model (benchmarks)
        self._decode = decoder

    # ---- dedup state per partition -------------------------------------------------------------
    def dedup(self, topic: str, partition: int) -> DedupWindow:
        tp = (topic, partition)
        window = self._dedup.get(tp)
        if window is None:
            window = self._dedup[tp] = DedupWindow(self._window)
        return window

    def forget(self, topic: str, partition: int) -> None:
        self._dedup.pop((topic, partition), None)

    def rebuild(
        self, topic: str, partition: int, sightings: Iterable[Sighting], now: float | None = None
    ) -> int:
        """Replays the sightings of a partition's dedup changelog into a fresh window (on assignment).

        The window's clock is the wall clock (``now``) during the replay as it was live: a read dated in
        the future must not carry the watermark past it and evict the passes still within the window.
        """
        window = self.dedup(topic, partition)
        window.horizon = time.time() if now is None else now
        return window.rebuild(sightings)

    def silent_checkpoints(self, since: float) -> dict[str, int]:
        """Per region, the checkpoints this worker has seen whose newest hit is older than ``since``."""
        out: dict[str, int] = {}
        for region, t in self._last_seen.values():
            out[region] = out.get(region, 0) + (t < since)
        return out

    # ---- one batch -----------------------------------------------------------------------------
    def _topic_region(self, topic: str) -> str | None:
        if topic not in self._regions:
            parsed = self.cat.parse_region_topic(topic)
            self._regions[topic] = parsed[0] if parsed and parsed[1] == TopicKind.HITS else None
        return self._regions[topic]

    def process(self, messages: Iterable[InRecord], now: datetime | None = None) -> BatchResult:
        now = now or datetime.now(UTC)
        result = BatchResult()
        batch = _Batch(now, self._zone(), len(self.watchlist.blind) > 0)
        for msg in messages:
            try:
                self._one(msg, batch, result)
            except Exception as exc:  # a bug must not stop the exchange: the record goes to the DLQ
                log.exception("processing %s[%s]@%s failed", msg.topic(), msg.partition(), msg.offset())
                self._dead(
                    result, msg, DlqReason.PROCESSING_ERROR, DlqStage.PROCESS, f"{type(exc).__name__}: {exc}"
                )
        for part in batch.parts.values():  # counted per partition: one Counter update a batch, not a hit
            if part.hits:
                result.hits[part.region or ""] += part.hits
        return result

    def _one(self, msg: InRecord, batch: _Batch, result: BatchResult) -> None:
        topic = msg.topic() or ""
        tp = (topic, msg.partition() or 0)
        part = batch.parts.get(tp)
        if part is None:
            part = batch.parts[tp] = _Part(self._topic_region(topic))
        region = part.region
        if region is None:
            self._dead(
                result, msg, DlqReason.SCHEMA_VIOLATION, DlqStage.VALIDATE, f"{topic} is not a hits topic"
            )
            return
        part.hits += 1
        try:
            hit = self._decode(msg.value() or b"")  # a view: the model is built on a match only
        except DecodeError as exc:
            self._dead(result, msg, exc.reason, DlqStage.DECODE, str(exc))
            return
        if hit.region != region:
            self._dead(
                result,
                msg,
                DlqReason.REGION_MISMATCH,
                DlqStage.VALIDATE,
                f"hit claims region {hit.region} but was published on {topic}: impersonation attempt",
            )
            result.out.append(self._impersonation_audit(hit.model(), region, topic, batch.now))
            return
        earliest, latest, received = batch.earliest, batch.latest, hit.received_at
        if not (earliest <= hit.pass_time <= latest and (received is None or earliest <= received <= latest)):
            # judged on this worker's clock, before dedup: no read moves its clock
            problem = hit_time_problem(hit.model(), batch.bounds, batch.now)
            if problem is not None:
                self._dead(result, msg, DlqReason.IMPLAUSIBLE_TIME, DlqStage.VALIDATE, problem)
                return
        t = hit.pass_s
        self._last_seen[hit.checkpoint_id] = (region, t)
        known = self.seen is not None and self.seen.observe(hit.plate, hit.checkpoint_id, t)
        found = self.watchlist.match(hit.plate, hit.colour, batch.now_s, t)
        if batch.blind:  # the zone has blind entries: compare the read's tokens
            found += self.watchlist.match_blind(hit.plate, hit.colour, batch.now_s, t)
        if known and found:
            kept = [f for f in found if f[0].kind != "misread"]
            result.withheld[region] += len(found) - len(kept)
            found = kept
        if not found:
            return  # matches nothing: produces nothing, duplicate or not, so dedup never holds it
        window = part.window
        if window is None:
            window = part.window = self.dedup(*tp)
            window.horizon = batch.now_s  # no read moves the window's clock past the wall clock
            part.sightings = result.sightings.setdefault(tp, [])
        sighting = (hit.event_id, hit.plate, hit.colour, hit.checkpoint_id, t)
        part.sightings.append(sighting)
        if window.seen(*sighting):
            result.duplicates[region] += 1
            return
        zone = batch.zone
        if zone is None:
            raise RuntimeError("no zone loaded: cannot decide recipients")
        model = hit.model()
        found = self._capped([f for f in found if in_scope(f[1].scope, region)], msg, result)
        fixed = corrections(model)
        for m, facts in found:
            self._emit_match(model, m.kind, m.score, m.edits, facts, zone, batch.now, result, fixed)

    def _capped(
        self, found: list[tuple[MatchResult, EntryFacts]], msg: InRecord, result: BatchResult
    ) -> list[tuple[MatchResult, EntryFacts]]:
        """The best ``max_fanout`` of a hit's in-scope matches (exact, misread, partial); the rest are
        reported as one dead letter, so a runaway partial pattern floods no one and costs no exact match."""
        if len(found) <= self._max_fanout:
            return found
        self._dead(
            result,
            msg,
            DlqReason.PROCESSING_ERROR,
            DlqStage.PROCESS,
            f"matched {len(found)} entries (more than {self._max_fanout}): delivered the best "
            f"{self._max_fanout}, check partial patterns",
        )
        return sorted(found, key=lambda f: _KIND_RANK[f[0].kind])[: self._max_fanout]

    def _emit_match(
        self,
        hit: CheckpointHit,
        kind: str,
        score: float,
        edits: int,
        facts: EntryFacts,
        zone: Zone,
        now: datetime,
        result: BatchResult,
        corrected: int = 0,
    ) -> None:
        # a blind entry's plate is unknown here: an exact match is the read; a misread names the token
        matched = hit.plate if facts.blind and kind == "exact" else facts.plate
        if corrected and kind == "exact":  # the read was corrected into the entry's plate (.corrected)
            kind, score, edits = "misread", certainty(corrected, 0), corrected
        match = Match(
            match_id=match_id(hit.event_id, facts.entry_id),
            hit=hit,
            entry_id=facts.entry_id,
            owner=facts.owner,
            category=facts.category,
            action=facts.action,
            priority=facts.priority,
            kind=MatchKind(kind),
            score=score,
            edits=edits,
            matched_plate=matched,
            operator=facts.operator,
            legal_basis=facts.legal_basis,
            approval=facts.approval,
            description=facts.description,
            matched_at=now,
            blind=facts.blind,
        )
        result.matches[kind] += 1
        if not facts.blind or self.blind_to_matches:
            result.out.append(Outgoing(self.cat.matches, match.match_id.encode(), encode(match)))
        decisions = decide_recipients(zone, facts.owner, facts.category, hit.region, now)
        # schemas.seal_policy: a match one agreement seals is sealed to every recipient holding a key, a
        # blind entry's to every recipient; a copy that must be sealed and cannot is refused no_seal_key
        for d, seal_key in seal_decisions(zone, decisions, now, seal_all=facts.blind):
            did = match_delivery_id(match, d.recipient)
            if d.disclosed:
                delivery = match_delivery(match, d, now)
                notice = encode(DeliveryNotice.of(delivery))
                if seal_key is not None:
                    # the owner sealed the details under the redactions of its placing time; they cannot
                    # be read here to strip, so they are withheld when the redactions of now (both
                    # sides') remove the description
                    details = (
                        None
                        if RedactField.DESCRIPTION in d.redact
                        else next((e for e in facts.details if e.recipient == d.recipient), None)
                    )
                    delivery = seal_delivery(delivery, seal_key, details)
                    result.sealed[d.recipient] += 1
                body = encode(delivery)
                result.out.append(Outgoing(self.cat.out(d.recipient), did.encode(), body))
                # the control app learns of the delivery (acks, deadlines) in the partition of its id
                inbox = inbox_headers(InboxKind.NOTICE, d.recipient)
                result.out.append(Outgoing(self.cat.control_inbox, did.encode(), notice, list(inbox)))
                result.deliveries[d.recipient] += 1
                result.delivered_pass_times.append(hit.pass_time.timestamp())
            else:
                result.refusals[d.reason.value] += 1
            sealed_to = seal_key.key_id if seal_key is not None else None
            # a blind entry's plate is the owner's secret: no audit record of it names the plate, whatever
            # was decided (a refusal too: it is read by the zone's auditors, who hold no key)
            hidden = facts.blind or hides_plates(d, seal_key)
            audit = match_audit(match, d, now, sealed_to=sealed_to, hidden=hidden)
            result.out.append(Outgoing(self.cat.audit, did.encode(), encode(audit)))

    def _impersonation_audit(self, hit: CheckpointHit, publisher: str, topic: str, now: datetime) -> Outgoing:
        did = delivery_id(hit.event_id, "impersonation", publisher)
        record = AuditRecord(
            audit_id=audit_id(did),
            delivery_id=did,
            kind=DeliveryKind.MATCH,
            recipient=publisher,
            owner=hit.region,
            subject_id=hit.event_id,
            plates=(hit.plate,),
            hit_region=hit.region,
            decision=Decision.REFUSED,
            reason=AuditReason.IMPERSONATION,
            at=now,
            source_time=hit.pass_time,
            detail=f"published on {topic} by {publisher}, claiming to be {hit.region}",
        )
        return Outgoing(self.cat.audit, did.encode(), encode(record))

    def _dead(
        self, result: BatchResult, msg: InRecord, reason: DlqReason, stage: DlqStage, error: str
    ) -> None:
        result.out.append(self.dead_letters.build(msg, reason, stage, error))
        result.dlq[reason.value] += 1
