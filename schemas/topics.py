"""The topic catalogue: the only place RAX topic names, keys, partitions and retention live.

Every name hangs off a namespace (``rax`` in production), so that two exchanges, or the tests' many
throw-away zones, can share one cluster without sharing a topic: ``Catalogue("rax").in_hits("510000")``
is ``rax.in.510000.hits``. The module-level functions use the default namespace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

__all__ = [
    "DEFAULT",
    "DLQ_COMPONENTS",
    "PROCESSOR_DLQ_COMPONENTS",
    "REGION_DLQ_COMPONENTS",
    "Catalogue",
    "TopicKind",
    "TopicSpec",
]

_DAY_MS = 24 * 3600 * 1000
_REGION_RE = re.compile(r"^\d{6}$")
_NAMESPACE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")

#: Every component that may reject input has dead-letter topics.
DLQ_COMPONENTS = ("connector", "hotpath", "control", "centre", "escalate", "evaluate")
#: Components a region runs (its connectors, its centre sink): one dead-letter topic per region each, which
#: only that region may write, so a dead letter can never be written for (or replayed as) another region.
REGION_DLQ_COMPONENTS = ("connector", "centre")
#: Components the processors run: one shared dead-letter topic each, written only by the processors.
PROCESSOR_DLQ_COMPONENTS = ("hotpath", "control", "escalate", "evaluate")


class TopicKind(StrEnum):
    """What a topic carries; one kind per row of the catalogue."""

    HITS = "hits"
    ALERTS = "alerts"
    WATCHLIST_COMMANDS = "watchlist"
    ACKS = "acks"
    OPERATIONS = "operations"
    REQUESTS = "requests"
    OUT = "out"
    WATCHLIST = "watchlist-table"
    ZONE = "zone"
    MATCHES = "matches"
    AUDIT = "audit"
    SCORECARDS = "scorecards"
    DLQ = "dlq"
    CONTROL = "control-inbox"
    ESCALATE = "escalate-inbox"


#: The per-region input kinds, in the order of their topic-name suffixes.
IN_KINDS = (
    TopicKind.HITS,
    TopicKind.ALERTS,
    TopicKind.WATCHLIST_COMMANDS,
    TopicKind.ACKS,
    TopicKind.OPERATIONS,
    TopicKind.REQUESTS,
)


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: its name, what its key is, and how the broker keeps it."""

    name: str
    kind: TopicKind
    key: str
    partitions: int
    retention_ms: int
    compacted: bool = False
    region: str | None = None

    def configs(self) -> dict[str, str]:
        """Topic-level broker configs for this topic."""
        cfg = {
            "cleanup.policy": "compact" if self.compacted else "delete",
            "retention.ms": str(self.retention_ms),
        }
        if self.compacted:
            # keep tombstones a day, so that a worker that was down for hours still sees a withdrawal
            cfg["delete.retention.ms"] = str(_DAY_MS)
        return cfg


def check_region_code(region: str) -> str:
    if not _REGION_RE.fullmatch(region):
        raise ValueError(f"region code must be 6 digits (GB/T 2260), got {region!r}")
    return region


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Topic names, keys and settings of one exchange namespace."""

    namespace: str = "rax"

    def __post_init__(self) -> None:
        if not _NAMESPACE_RE.fullmatch(self.namespace):
            raise ValueError(f"namespace must match {_NAMESPACE_RE.pattern}, got {self.namespace!r}")

    # ---- per-region topics -------------------------------------------------------------------
    @property
    def in_prefix(self) -> str:
        return f"{self.namespace}.in."

    @property
    def out_prefix(self) -> str:
        return f"{self.namespace}.out."

    def region_in_prefix(self, region: str) -> str:
        """The prefix (ending in a dot) of every topic ``region`` may write: an ACL prefix."""
        return f"{self.in_prefix}{check_region_code(region)}."

    def in_hits(self, region: str) -> str:
        """Checkpoint hits published by ``region``'s connectors (key: normalised plate)."""
        return f"{self.region_in_prefix(region)}hits"

    def in_alerts(self, region: str) -> str:
        """CAP alerts published by ``region`` (key: alert identifier)."""
        return f"{self.region_in_prefix(region)}alerts"

    def in_watchlist(self, region: str) -> str:
        """Watchlist place / withdraw commands published by ``region`` (key: entry id)."""
        return f"{self.region_in_prefix(region)}watchlist"

    def in_acks(self, region: str) -> str:
        """Acknowledgements published by ``region``'s command centre (key: delivery id)."""
        return f"{self.region_in_prefix(region)}acks"

    def in_operations(self, region: str) -> str:
        """Commands on special operations ``region`` owns: closing one (key: operation id)."""
        return f"{self.region_in_prefix(region)}operations"

    def in_requests(self, region: str) -> str:
        """Cooperation requests (协查) ``region`` sends and its answers to others' (key: request id)."""
        return f"{self.region_in_prefix(region)}requests"

    def out(self, region: str) -> str:
        """Everything delivered to ``region``: matches, alerts, deadline breaches (key: delivery id)."""
        return f"{self.out_prefix}{check_region_code(region)}"

    def in_topic(self, region: str, kind: TopicKind) -> str:
        return f"{self.region_in_prefix(region)}{kind.value}"

    def in_pattern(self, kind: TopicKind) -> str:
        """A librdkafka subscription regex for ``kind`` of every region: ``^rax\\.in\\.[0-9]…\\.hits$``.

        Written without ``\\d`` and ``{6}``: librdkafka's regex engine understands neither.
        """
        ns = re.escape(self.namespace).replace("\\-", "-")
        return rf"^{ns}\.in\.{'[0-9]' * 6}\.{kind.value}$"

    def parse_region_topic(self, topic: str) -> tuple[str, TopicKind] | None:
        """The region and kind of a per-region topic name, or None for any other topic."""
        return _parse_region_topic(self.namespace, topic)

    # ---- shared topics -----------------------------------------------------------------------
    @property
    def watchlist(self) -> str:
        """The compacted table of live watchlist entries (key: entry id; tombstone on withdraw/expiry)."""
        return f"{self.namespace}.watchlist"

    @property
    def zone(self) -> str:
        """The compacted zone: regions, adjacency, agreements, subscriptions (key: object id)."""
        return f"{self.namespace}.zone"

    @property
    def matches(self) -> str:
        """Every match, for governance (key: match id)."""
        return f"{self.namespace}.matches"

    @property
    def audit(self) -> str:
        """One record per disclosure or refusal (key: delivery id)."""
        return f"{self.namespace}.audit"

    @property
    def scorecards(self) -> str:
        """The evaluation app's scorecards, compacted (key: ``<region>/<period>/<start>``)."""
        return f"{self.namespace}.scorecards"

    @property
    def dlq_prefix(self) -> str:
        """The prefix of every dead-letter topic (an ACL prefix for the operators, who read them all)."""
        return f"{self.namespace}.dlq."

    def dlq(self, component: str, region: str | None = None) -> str:
        """The dead-letter topic of one component (key: the original key).

        A region's components (``REGION_DLQ_COMPONENTS``) dead-letter to ``rax.dlq.<region>.<component>``
        and must name the region; the processors' to ``rax.dlq.<component>``.
        """
        if component in REGION_DLQ_COMPONENTS:
            if region is None:
                raise ValueError(f"{component} dead letters are per region: dlq({component!r}, region)")
            return f"{self.dlq_prefix}{check_region_code(region)}.{component}"
        if component not in DLQ_COMPONENTS:
            raise ValueError(f"unknown DLQ component {component!r}; known: {', '.join(DLQ_COMPONENTS)}")
        if region is not None:
            raise ValueError(f"{component} has one dead-letter topic for the zone, not one per region")
        return f"{self.dlq_prefix}{component}"

    def parse_dlq_topic(self, topic: str) -> tuple[str, str | None] | None:
        """The component and (for a region's dead letters) the region of a dead-letter topic, else None."""
        rest = topic.removeprefix(self.dlq_prefix)
        if rest == topic:
            return None
        if rest in PROCESSOR_DLQ_COMPONENTS:
            return rest, None
        region, _, component = rest.partition(".")
        if _REGION_RE.fullmatch(region) and component in REGION_DLQ_COMPONENTS:
            return component, region
        return None

    # ---- names that are not topics: consumer groups and transactional ids ----------------------
    def region_group_prefix(self, region: str) -> str:
        """Consumer groups a region's command centre may use (an ACL prefix ending in a dot)."""
        return f"{self.namespace}.region.{check_region_code(region)}."

    @property
    def operator_prefix(self) -> str:
        """Consumer groups of the operators' tools (``rax dlq``), which assign and never join."""
        return f"{self.namespace}.ops."

    @property
    def processor_prefix(self) -> str:
        """Consumer groups and transactional ids of the processors (hot path, control app)."""
        return f"{self.namespace}.proc."

    @property
    def internal_prefix(self) -> str:
        """Topics only the processors use (changelogs, the control inbox); disjoint from every name above."""
        return f"{self.namespace}-"

    def changelog(self, processor: str, store: str) -> str:
        """The compacted changelog of one store of one processor (key: topic, partition, key)."""
        return f"{self.internal_prefix}{processor}-{store}-changelog"

    @property
    def control_inbox(self) -> str:
        """The control app's own input, keyed by what its state is keyed by (region, entry id, delivery id):
        alerts, watchlist commands and acks forwarded from the regions' topics, and every delivery made."""
        return f"{self.internal_prefix}control-inbox"

    @property
    def escalate_inbox(self) -> str:
        """The escalate processor's own input: the regions' reads and the matches, keyed by plate."""
        return f"{self.internal_prefix}escalate-inbox"

    # ---- specs -------------------------------------------------------------------------------
    def region_topics(self, region: str, hit_partitions: int = 6) -> list[TopicSpec]:
        """The topics every member region owns: six inputs, its deliveries and its dead letters."""
        return [
            TopicSpec(
                self.in_hits(region),
                TopicKind.HITS,
                "normalised plate",
                hit_partitions,
                3 * _DAY_MS,
                region=region,
            ),
            # one partition: every alert thread of a region in order, decided where it is read
            TopicSpec(
                self.in_alerts(region), TopicKind.ALERTS, "alert identifier", 1, 30 * _DAY_MS, region=region
            ),
            TopicSpec(
                self.in_watchlist(region),
                TopicKind.WATCHLIST_COMMANDS,
                "entry id",
                3,
                30 * _DAY_MS,
                region=region,
            ),
            TopicSpec(self.in_acks(region), TopicKind.ACKS, "delivery id", 3, 30 * _DAY_MS, region=region),
            TopicSpec(
                self.in_operations(region),
                TopicKind.OPERATIONS,
                "operation id",
                1,
                30 * _DAY_MS,
                region=region,
            ),
            TopicSpec(
                self.in_requests(region), TopicKind.REQUESTS, "request id", 1, 30 * _DAY_MS, region=region
            ),
            TopicSpec(self.out(region), TopicKind.OUT, "delivery id", 3, 7 * _DAY_MS, region=region),
            *(
                TopicSpec(self.dlq(c, region), TopicKind.DLQ, "original key", 1, 14 * _DAY_MS, region=region)
                for c in REGION_DLQ_COMPONENTS
            ),
        ]

    def shared_topics(self, partitions: int = 6) -> list[TopicSpec]:
        """The zone-wide topics: the watchlist table, the zone, matches, audit and the processors' DLQs."""
        specs = [
            TopicSpec(self.watchlist, TopicKind.WATCHLIST, "entry id", partitions, -1, compacted=True),
            TopicSpec(self.zone, TopicKind.ZONE, "object id", 1, -1, compacted=True),
            TopicSpec(self.matches, TopicKind.MATCHES, "match id", partitions, 30 * _DAY_MS),
            # disclosure logs: a year and a month (MLPS 2.0 level 3 asks for at least six months)
            TopicSpec(self.audit, TopicKind.AUDIT, "delivery id", partitions, 400 * _DAY_MS),
            # the latest scorecard of each region and period; a rebuild republishes them all
            TopicSpec(self.scorecards, TopicKind.SCORECARDS, "region/period/start", 1, -1, compacted=True),
            TopicSpec(
                self.control_inbox,
                TopicKind.CONTROL,
                "region / entry id / delivery id",
                partitions,
                7 * _DAY_MS,
            ),
            TopicSpec(self.escalate_inbox, TopicKind.ESCALATE, "normalised plate", partitions, 2 * _DAY_MS),
        ]
        specs += [
            TopicSpec(self.dlq(c), TopicKind.DLQ, "original key", 3, 14 * _DAY_MS)
            for c in PROCESSOR_DLQ_COMPONENTS
        ]
        return specs

    def all_topics(
        self, regions: list[str], hit_partitions: int = 6, shared_partitions: int = 6
    ) -> list[TopicSpec]:
        """Every topic of the catalogue for a zone of ``regions``."""
        specs = self.shared_topics(shared_partitions)
        for region in regions:
            specs += self.region_topics(region, hit_partitions)
        return specs


#: The production namespace.
DEFAULT = Catalogue("rax")


@lru_cache(maxsize=4096)
def _parse_region_topic(namespace: str, topic: str) -> tuple[str, TopicKind] | None:
    """``Catalogue.parse_region_topic``, cached: asked for every record, of a few hundred topic names
    (keyed by the namespace, not its prefixes: formatting them cost as much as the look-up)."""
    in_prefix, out_prefix = f"{namespace}.in.", f"{namespace}.out."
    if topic.startswith(in_prefix):
        region, _, suffix = topic[len(in_prefix) :].partition(".")
        if _REGION_RE.fullmatch(region) and suffix in {k.value for k in IN_KINDS}:
            return region, TopicKind(suffix)
    elif topic.startswith(out_prefix):
        region = topic[len(out_prefix) :]
        if _REGION_RE.fullmatch(region):
            return region, TopicKind.OUT
    return None
