"""The least-privilege table: what each identity of a zone may do to each kind of resource, stated once.

The operator's guide shows ``markdown_table()``; the ACL matrix test tries every attempt ``attempts()``
lists on a secured broker and expects exactly what ``allowed()`` says; a unit test checks that the ACLs
``plan_zone`` grants allow the same, for every ordered pair of regions of the example zone. The table is
written by hand from what each identity needs, never derived from the ACLs, so that a wrong grant fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ops.zone.plan import EVALUATOR_USER, OPERATOR_USER, PROCESSORS_USER, AclRule, region_user
from schemas.topics import IN_KINDS, PROCESSOR_DLQ_COMPONENTS, REGION_DLQ_COMPONENTS, Catalogue

__all__ = [
    "OPS",
    "TABLE",
    "Attempt",
    "Identity",
    "Op",
    "Row",
    "acls_allow",
    "allowed",
    "attempts",
    "markdown_table",
]


class Identity(StrEnum):
    """Who attempts: a member region (R, against itself and every other S), the processors, the evaluation
    app, an operator."""

    REGION = "region R"
    PROCESSORS = PROCESSORS_USER
    EVALUATOR = EVALUATOR_USER
    OPERATOR = OPERATOR_USER

    def user(self, region: str | None = None) -> str:
        """The SASL user name (a region's needs its code)."""
        if self is Identity.REGION:
            if region is None:
                raise ValueError("a region identity needs its region code")
            return region_user(region)
        return self.value


class Op(StrEnum):
    """One thing a client can attempt; the broker authorises each with one ACL operation."""

    WRITE = "write"  # produce (WRITE on the topic)
    READ = "read"  # fetch (READ on the topic)
    DESCRIBE = "describe"  # metadata, offsets (DESCRIBE on the topic)
    JOIN = "join"  # join / commit in a consumer group (READ on the group)
    TRANSACT = "transact"  # init_transactions with a transactional id (WRITE on it)
    CREATE = "create"  # create a topic (CREATE on the topic or the cluster)


#: The operations that apply to each kind of resource.
OPS: dict[str, tuple[Op, ...]] = {
    "topic": (Op.WRITE, Op.READ, Op.DESCRIBE),
    "group": (Op.JOIN,),
    "transactional_id": (Op.TRANSACT,),
    "new topic": (Op.CREATE,),
}

#: Concrete names of a row's resource: the catalogue and the region it is about (None for zone-wide rows).
Names = Callable[[Catalogue, str | None], tuple[str, ...]]


@dataclass(frozen=True)
class Row:
    """One resource kind and what each identity may do to it; every other applicable operation is denied."""

    resource: str  # as the guide names it: R is the acting region, S any other member
    kind: str  # a key of OPS
    scope: str  # "own" (R's), "other" (S's) or "zone" (one for the zone)
    names: Names
    region: frozenset[Op] = frozenset()
    processors: frozenset[Op] = frozenset()
    operator: frozenset[Op] = frozenset()
    evaluator: frozenset[Op] = frozenset()

    def ops_of(self, identity: Identity) -> frozenset[Op]:
        return {
            Identity.REGION: self.region,
            Identity.PROCESSORS: self.processors,
            Identity.EVALUATOR: self.evaluator,
            Identity.OPERATOR: self.operator,
        }[identity]


def _ops(*ops: Op) -> frozenset[Op]:
    return frozenset(ops)


W, R, D = Op.WRITE, Op.READ, Op.DESCRIBE
#: the processors' own dead-letter topics (the evaluation app's is its identity's, a row of its own)
_PROCESSORS_DLQ = tuple(c for c in PROCESSOR_DLQ_COMPONENTS if c != "evaluate")


def _inputs(cat: Catalogue, region: str | None) -> tuple[str, ...]:
    assert region is not None
    return tuple(cat.in_topic(region, k) for k in IN_KINDS)


def _out(cat: Catalogue, region: str | None) -> tuple[str, ...]:
    assert region is not None
    return (cat.out(region),)


def _region_dlqs(cat: Catalogue, region: str | None) -> tuple[str, ...]:
    return tuple(cat.dlq(c, region) for c in REGION_DLQ_COMPONENTS)


def _region_groups(cat: Catalogue, region: str | None) -> tuple[str, ...]:
    assert region is not None
    return (f"{cat.region_group_prefix(region)}centre",)


def _new_topic(cat: Catalogue, region: str | None) -> tuple[str, ...]:
    assert region is not None
    return (f"{cat.region_in_prefix(region)}created", f"{cat.namespace}.created")


#: The least-privilege table of a zone. A region publishes only as itself, reads only what was delivered to
#: it and its own dead letters; the processors move records between regions; an operator reads dead
#: letters and the governance topics and audits replays (a replay itself runs as the record's region).
TABLE: tuple[Row, ...] = (
    Row(
        "`rax.in.R.*` (hits, alerts, watchlist, acks, operations, requests)",
        "topic",
        "own",
        _inputs,
        _ops(W, D),
        _ops(R, D),
        evaluator=_ops(R, D),
    ),
    Row("`rax.in.S.*`", "topic", "other", _inputs, processors=_ops(R, D), evaluator=_ops(R, D)),
    Row("`rax.out.R`", "topic", "own", _out, _ops(R, D), _ops(W, D)),
    Row("`rax.out.S`", "topic", "other", _out, processors=_ops(W, D)),
    Row(
        "`rax.dlq.R.connector`, `rax.dlq.R.centre`",
        "topic",
        "own",
        _region_dlqs,
        _ops(W, R, D),
        operator=_ops(R, D),
    ),
    Row("`rax.dlq.S.connector`, `rax.dlq.S.centre`", "topic", "other", _region_dlqs, operator=_ops(R, D)),
    Row(
        ", ".join(f"`rax.dlq.{c}`" for c in _PROCESSORS_DLQ),
        "topic",
        "zone",
        lambda cat, _r: tuple(cat.dlq(c) for c in _PROCESSORS_DLQ),
        processors=_ops(W, D),
        operator=_ops(R, D),
    ),
    Row(
        "`rax.dlq.evaluate`",
        "topic",
        "zone",
        lambda cat, _r: (cat.dlq("evaluate"),),
        evaluator=_ops(W, D),
        operator=_ops(R, D),
    ),
    Row(
        "`rax.scorecards`",
        "topic",
        "zone",
        lambda cat, _r: (cat.scorecards,),
        evaluator=_ops(W, D),
        operator=_ops(R, D),
    ),
    Row(
        "`rax.zone`", "topic", "zone", lambda cat, _r: (cat.zone,), processors=_ops(R, D), operator=_ops(R, D)
    ),
    Row(
        "`rax.watchlist`",
        "topic",
        "zone",
        lambda cat, _r: (cat.watchlist,),
        processors=_ops(W, R, D),
        operator=_ops(R, D),
    ),
    Row(
        "`rax.matches`",
        "topic",
        "zone",
        lambda cat, _r: (cat.matches,),
        processors=_ops(W, R, D),
        operator=_ops(R, D),
        evaluator=_ops(R, D),
    ),
    Row(
        "`rax.audit`",
        "topic",
        "zone",
        lambda cat, _r: (cat.audit,),
        processors=_ops(W, D),
        operator=_ops(W, R, D),
        evaluator=_ops(R, D),
    ),
    Row(
        "`rax-*` (changelogs, control inbox)¹",
        "topic",
        "zone",
        lambda cat, _r: (cat.control_inbox, cat.changelog("hotpath", "dedup")),
        processors=_ops(W, R, D),
    ),
    Row("groups `rax.region.R.*`", "group", "own", _region_groups, _ops(Op.JOIN)),
    Row("groups `rax.region.S.*`", "group", "other", _region_groups),
    Row(
        "groups `rax.proc.*`, `rax-*`",
        "group",
        "zone",
        lambda cat, _r: (f"{cat.processor_prefix}hotpath", f"{cat.internal_prefix}hotpath"),
        processors=_ops(Op.JOIN),
    ),
    Row(
        "groups `rax.proc.evaluate.*` (one per run of the evaluation app)",
        "group",
        "zone",
        lambda cat, _r: (f"{cat.processor_prefix}evaluate.run",),
        processors=_ops(Op.JOIN),
        evaluator=_ops(Op.JOIN),
    ),
    Row(
        "groups `rax.ops.*`",
        "group",
        "zone",
        lambda cat, _r: (f"{cat.operator_prefix}dlq",),
        operator=_ops(Op.JOIN),
    ),
    Row(
        "transactional ids `rax.proc.*`",
        "transactional_id",
        "zone",
        lambda cat, _r: (f"{cat.processor_prefix}hotpath-0",),
        processors=_ops(Op.TRANSACT),
    ),
    Row(
        "any other transactional id",
        "transactional_id",
        "own",
        lambda cat, r: (f"{cat.region_group_prefix(r or '000000')}tx", f"{cat.operator_prefix}tx"),
    ),
    Row("a new topic (`rax.in.R.created`, `rax.created`)", "new topic", "own", _new_topic),
)


def allowed(row: Row, identity: Identity, op: Op) -> bool:
    """What the table says ``identity`` may do (``op`` must apply to the row's kind)."""
    if op not in OPS[row.kind]:
        raise ValueError(f"{op} does not apply to a {row.kind}")
    return op in row.ops_of(identity)


@dataclass(frozen=True, order=True)
class Attempt:
    """One thing one identity tries on one concrete resource, and whether the table allows it."""

    kind: str
    name: str
    op: Op
    expected: bool
    row: str


def attempts(cat: Catalogue, codes: list[str], identity: Identity, actor: str | None = None) -> list[Attempt]:
    """Every attempt of ``identity`` (as region ``actor``) against every region of ``codes`` and the zone.

    A region tries its own resources and those of every other member: every ordered pair. The processors
    and the operator have no region of their own: they try every region's resources, as the "own" rows
    say (a unit test holds the "other" rows equal to them for these identities).
    """
    if (identity is Identity.REGION) != (actor is not None):
        raise ValueError("a region identity needs its region code; the others take none")
    out: set[Attempt] = set()
    for row in TABLE:
        if row.scope == "zone":
            regions: list[str | None] = [None]
        elif identity is Identity.REGION:
            regions = [actor] if row.scope == "own" else [c for c in codes if c != actor]
        elif row.scope == "own":
            regions = list(codes)
        else:
            continue  # "own" and "other" are one thing to an identity without a region: tried once
        for region in regions:
            for name in row.names(cat, region):
                for op in OPS[row.kind]:
                    out.add(Attempt(row.kind, name, op, allowed(row, identity, op), row.resource))
    return sorted(out)


def markdown_table() -> str:
    """The table as the operator's guide shows it (R: the acting region, S: any other member)."""

    def cell(ops: frozenset[Op], kind: str) -> str:
        return ", ".join(op.value for op in OPS[kind] if op in ops) or "—"

    users = (PROCESSORS_USER, EVALUATOR_USER, OPERATOR_USER)
    lines = [f"| resource | `region-R` | {' | '.join(f'`{u}`' for u in users)} |", "|---|---|---|---|---|"]
    for row in TABLE:
        cells = [cell(row.ops_of(i), row.kind) for i in Identity]
        lines.append(f"| {row.resource} | {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


# what the broker checks for each attempt: (ACL resource type, ACL operation)
_NEEDS = {
    Op.WRITE: ("topic", "write"),
    Op.READ: ("topic", "read"),
    Op.DESCRIBE: ("topic", "describe"),
    Op.JOIN: ("group", "read"),
    Op.TRANSACT: ("transactional_id", "write"),
    Op.CREATE: ("topic", "create"),
}


def acls_allow(rules: list[AclRule], user: str, attempt: Attempt) -> bool:
    """Whether ALLOW ``rules`` let ``user`` make ``attempt``, as Kafka's StandardAuthorizer decides.

    A rule covers a name literally or by prefix; ALL covers every operation; READ and WRITE imply
    DESCRIBE; CREATE on the cluster covers every topic. (No DENY rules: RAX never writes one.)
    """
    resource, operation = _NEEDS[attempt.op]
    implied = {operation, "all"} | ({"read", "write"} if operation == "describe" else set())
    for rule in rules:
        if rule.principal != f"User:{user}" or rule.operation not in implied:
            continue
        if operation == "create" and rule.resource == "cluster":
            return True
        if rule.resource != resource:
            continue
        if rule.name == attempt.name or (rule.pattern == "prefixed" and attempt.name.startswith(rule.name)):
            return True
    return False
