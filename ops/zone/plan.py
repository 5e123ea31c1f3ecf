"""What a zone needs on a cluster — topics, identities and ACLs — computed without touching Kafka."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.topics import PROCESSOR_DLQ_COMPONENTS, REGION_DLQ_COMPONENTS, Catalogue, TopicSpec
from schemas.zone import Zone

__all__ = [
    "EVALUATOR_USER",
    "OPERATOR_USER",
    "PROCESSORS_USER",
    "AclRule",
    "ZonePlan",
    "plan_zone",
    "region_user",
]

PROCESSORS_USER = "rax-processors"
#: The operators' day-to-day identity: reads dead letters and the governance topics, audits replays.
#: Applying a zone (topics, users, ACLs) stays with the cluster's super user.
OPERATOR_USER = "rax-operator"
#: The evaluation app (docs/evaluate.md): reads the audit log, matches and the regions' inputs, writes
#: scorecards; it delivers nothing and holds no transaction.
EVALUATOR_USER = "rax-evaluator"


def region_user(region: str) -> str:
    """The SASL identity of one member region (its connectors and its command centre)."""
    return f"region-{region}"


@dataclass(frozen=True, order=True)
class AclRule:
    """One ALLOW rule: principal may do ``operation`` on a resource named literally or by prefix."""

    principal: str  # "User:region-510000"
    resource: str  # "topic" | "group" | "transactional_id" | "cluster"
    name: str
    pattern: str  # "literal" | "prefixed"
    operation: str  # "read" | "write" | "describe" | "create" | "idempotent_write" | "all"

    def __post_init__(self) -> None:
        # a prefix that does not end in a dot would also cover longer codes: rax.in.51 ⊃ rax.in.510000
        if self.pattern == "prefixed" and not self.name.endswith((".", "-")):
            raise ValueError(f"ACL prefix {self.name!r} must end in '.' or '-'")


@dataclass(frozen=True)
class ZonePlan:
    """Everything `zone apply` makes sure exists for one zone."""

    topics: list[TopicSpec]
    users: list[str]
    acls: list[AclRule]


def _region_acls(cat: Catalogue, region: str) -> list[AclRule]:
    p = f"User:{region_user(region)}"
    return [
        # publish only as itself: every rax.in.<its code>.* topic, and nothing else
        AclRule(p, "topic", cat.region_in_prefix(region), "prefixed", "write"),
        AclRule(p, "topic", cat.region_in_prefix(region), "prefixed", "describe"),
        # read only what was delivered to it
        AclRule(p, "topic", cat.out(region), "literal", "read"),
        AclRule(p, "topic", cat.out(region), "literal", "describe"),
        AclRule(p, "group", cat.region_group_prefix(region), "prefixed", "read"),
        # its connectors dead-letter their own bad input, its centre sink what its own system refused: each
        # to the region's own topic, which it may read back and no other region may touch
        *(
            AclRule(p, "topic", cat.dlq(c, region), "literal", op)
            for c in REGION_DLQ_COMPONENTS
            for op in ("write", "read", "describe")
        ),
    ]


def _processor_acls(cat: Catalogue) -> list[AclRule]:
    p = f"User:{PROCESSORS_USER}"
    rules = [AclRule(p, "cluster", "kafka-cluster", "literal", "idempotent_write")]
    for op in ("read", "describe"):
        rules += [
            AclRule(p, "topic", cat.in_prefix, "prefixed", op),
            AclRule(p, "topic", cat.watchlist, "literal", op),
            AclRule(p, "topic", cat.zone, "literal", op),
            AclRule(p, "topic", cat.matches, "literal", op),  # the escalation processor reads matches
        ]
    for op in ("write", "describe"):
        rules += [
            AclRule(p, "topic", cat.out_prefix, "prefixed", op),
            AclRule(p, "topic", cat.watchlist, "literal", op),
            AclRule(p, "topic", cat.matches, "literal", op),
            AclRule(p, "topic", cat.audit, "literal", op),
            # the evaluation app's dead letters are its own (EVALUATOR_USER)
            *(
                AclRule(p, "topic", cat.dlq(c), "literal", op)
                for c in PROCESSOR_DLQ_COMPONENTS
                if c != "evaluate"
            ),
        ]
    rules += [
        AclRule(p, "topic", cat.internal_prefix, "prefixed", "all"),  # changelogs, the control inbox
        AclRule(p, "group", cat.processor_prefix, "prefixed", "read"),
        AclRule(p, "group", cat.internal_prefix, "prefixed", "read"),
        AclRule(p, "transactional_id", cat.processor_prefix, "prefixed", "write"),
        AclRule(p, "transactional_id", cat.processor_prefix, "prefixed", "describe"),
    ]
    return rules


def _evaluator_acls(cat: Catalogue) -> list[AclRule]:
    p = f"User:{EVALUATOR_USER}"
    rules = [AclRule(p, "group", f"{cat.processor_prefix}evaluate.", "prefixed", "read")]
    for op in ("read", "describe"):
        rules += [
            # acks, hits and requests of every region, by pattern: a region added later is covered
            AclRule(p, "topic", cat.in_prefix, "prefixed", op),
            AclRule(p, "topic", cat.audit, "literal", op),
            AclRule(p, "topic", cat.matches, "literal", op),
        ]
    for op in ("write", "describe"):
        rules += [
            AclRule(p, "topic", cat.scorecards, "literal", op),
            AclRule(p, "topic", cat.dlq("evaluate"), "literal", op),
        ]
    return rules


def _operator_acls(cat: Catalogue) -> list[AclRule]:
    p = f"User:{OPERATOR_USER}"
    rules = [AclRule(p, "group", cat.operator_prefix, "prefixed", "read")]
    for op in ("read", "describe"):
        rules += [
            AclRule(p, "topic", cat.dlq_prefix, "prefixed", op),  # every dead letter, to list and replay
            *(
                AclRule(p, "topic", t, "literal", op)
                for t in (cat.zone, cat.watchlist, cat.matches, cat.audit, cat.scorecards)
            ),
        ]
    rules.append(AclRule(p, "topic", cat.audit, "literal", "write"))  # one audit record per replay
    return rules


def plan_zone(zone: Zone, cat: Catalogue, *, secure: bool) -> ZonePlan:
    """The topics of the catalogue for the zone's regions, plus identities and ACLs on a secured cluster."""
    codes = sorted(zone.codes)
    topics = cat.all_topics(codes, zone.topics.hit_partitions, zone.topics.shared_partitions)
    if not secure:
        return ZonePlan(topics, [], [])
    users = [PROCESSORS_USER, OPERATOR_USER, EVALUATOR_USER, *(region_user(c) for c in codes)]
    acls = _processor_acls(cat) + _operator_acls(cat) + _evaluator_acls(cat)
    for code in codes:
        acls += _region_acls(cat, code)
    return ZonePlan(topics, users, sorted(set(acls)))
