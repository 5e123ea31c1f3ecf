"""Whether a dead letter may be replayed, and to which topic as which region: a pure decision, no Kafka.

A replay writes only to an input topic (``rax.in.<region>.*``) of the region the record came from, as
that region. Where it came from is told by the dead-letter topic itself for a region's own dead letters
(``rax.dlq.<region>.*``, which only that region may write), and by the source-topic header for the
processors' (``rax.dlq.hotpath``, ``rax.dlq.control``, which only the processors may write). Every other
target — another region's topics, ``rax.zone``, ``rax.watchlist``, deliveries, internal topics — is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.dlq import DeadLetter
from schemas.replay_audit import ReplayRefusal
from schemas.topics import Catalogue, TopicKind

__all__ = ["ReplayDecision", "decide", "printable"]


@dataclass(frozen=True)
class ReplayDecision:
    """Where one dead letter goes (``target``, as ``region``), or why not (``refusal``, ``message``)."""

    region: str | None
    target: str | None
    refusal: ReplayRefusal | None = None
    message: str = ""

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def printable(text: str, limit: int = 128) -> str:
    """``text`` as a log line and an audit field may hold it: escaped if not printable, cut to ``limit``."""
    shown = text if text.isprintable() else ascii(text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def decide(
    cat: Catalogue, dlq_topic: str, letter: DeadLetter | None, truncated: bool = False
) -> ReplayDecision:
    """The decision for one dead letter read from ``dlq_topic`` (``letter``: its parsed headers).

    ``truncated``: the dead letter says (``rax.dlq.truncated``) that it holds only part of the record.
    """
    parsed = cat.parse_dlq_topic(dlq_topic)
    if parsed is None:
        raise ValueError(f"{dlq_topic} is not a dead-letter topic of namespace {cat.namespace}")
    _component, dlq_region = parsed
    target = letter.source_topic if letter is not None else None
    if not target:
        return ReplayDecision(
            dlq_region,
            None,
            ReplayRefusal.NO_SOURCE_TOPIC,
            "names no source topic (a connector's dead letter never reached Kafka: "
            "fix the source record and let the connector read it again)",
        )
    region_topic = cat.parse_region_topic(target)
    if region_topic is None or region_topic[1] is TopicKind.OUT:
        return ReplayDecision(
            dlq_region,
            printable(target),
            ReplayRefusal.NOT_AN_INPUT,
            f"names {printable(target)}, which is not a region's input topic: "
            f"a replay writes only to {cat.in_prefix}<region>.* of the region the record came from",
        )
    target_region = region_topic[0]
    region = dlq_region or target_region  # a processor's dead letter came from the topic it names
    if target_region != region:
        return ReplayDecision(
            region,
            target,
            ReplayRefusal.OTHER_REGION,
            f"came from region {region} but names {target}, an input of region {target_region}: "
            f"a replay writes only to {cat.region_in_prefix(region)}*",
        )
    if truncated:
        return ReplayDecision(
            region,
            target,
            ReplayRefusal.TRUNCATED,
            "holds only the first bytes of the record (rax.dlq.truncated), and replaying them would publish "
            "a different record: the whole one is at the source position it names",
        )
    return ReplayDecision(region, target)
