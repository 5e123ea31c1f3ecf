"""The zone: its member regions, their adjacency, agreements, subscriptions and topic settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Annotated, Any

from pydantic import Field, model_validator

from schemas.base import ShortText, UtcDatetime, WireModel, WirePart
from schemas.escalation import EscalationRules
from schemas.fields import RegionCode
from schemas.keys import RegionKey, key_problems
from schemas.partial_policy import PartialPatternPolicy
from schemas.regions import registry
from schemas.sharing import Agreement, Subscription
from schemas.times import TimeBounds

__all__ = ["DEFAULT_REJECT_REASONS", "TopicSettings", "Zone", "ZoneError", "ZoneObject", "ZoneRegion"]

#: Reject reasons when a zone file names none (after Genetec's hit-rejection reasons).
DEFAULT_REJECT_REASONS: tuple[str, ...] = (
    "misread",
    "wrong plate colour or type",
    "different vehicle (cloned plate)",
    "entry no longer valid",
    "duplicate of an earlier hit",
    "other",
)


class ZoneError(ValueError):
    """A zone that is well-formed field by field but inconsistent; ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class ZoneRegion(WirePart):
    """A member region of the zone."""

    code: RegionCode = Field(description="GB/T 2260 code of the member.")
    name: ShortText | None = Field(default=None, description="Display name; the registry's name when absent.")
    checkpoints: tuple[ShortText, ...] = Field(
        default=(), description="Ids of the member's checkpoints (kkbh), where known; used by simulators."
    )


class TopicSettings(WirePart):
    """How many partitions the zone's topics get (see ``schemas.topics``)."""

    hit_partitions: int = Field(
        default=6, ge=1, le=1000, description="Partitions of every rax.in.<region>.hits."
    )
    shared_partitions: int = Field(
        default=6, ge=1, le=1000, description="Partitions of rax.watchlist, rax.matches and rax.audit."
    )
    replication_factor: int | None = Field(
        default=None, ge=1, le=16, description="Replication factor; absent = the broker's default."
    )


#: Two member regions that share a border (an unordered pair).
Adjacency = Annotated[tuple[RegionCode, RegionCode], Field(description="Two neighbouring member regions.")]


#: Zone properties computed once per instance (cached in its ``__dict__``; dropped by ``model_copy``).
_CACHED = ("codes", "_agreements_by_pair")


class Zone(WireModel):
    """A cooperation zone as declared in its zone file; published whole on ``rax.zone`` by the operator.

    Validation makes it consistent: every region named in adjacency, agreements and subscriptions is a
    member (a subscription area may also lie inside a member), no region agrees with itself, and no id
    or pair is listed twice. Every problem is reported with its path, e.g.
    ``agreements[2].recipient: 530000 is not a member region``.
    """

    name: ShortText = Field(description="Name of the zone, e.g. 川渝.")
    regions: tuple[ZoneRegion, ...] = Field(min_length=1, description="The member regions.")
    adjacency: tuple[Adjacency, ...] = Field(default=(), description="Pairs of members that share a border.")
    agreements: tuple[Agreement, ...] = Field(default=(), description="Who may see what of whom.")
    subscriptions: tuple[Subscription, ...] = Field(default=(), description="Standing requests for hits.")
    topics: TopicSettings = Field(default_factory=TopicSettings, description="Topic sizing.")
    times: TimeBounds = Field(
        default_factory=TimeBounds,
        description="How far from the receiving clock the times of the zone's records may lie; a record "
        "outside is dead-lettered (implausible_time) where it is received.",
    )
    partial_patterns: PartialPatternPolicy = Field(
        default_factory=PartialPatternPolicy,
        description="How specific a partial plate pattern must be, in which categories, how many per owner.",
    )
    escalation: EscalationRules | None = Field(
        default=None,
        description="Which matches and reads open a special operation (专项), and checkpoint sites; "
        "absent = none (docs/escalation.md).",
    )
    reject_reasons: tuple[ShortText, ...] = Field(
        default=DEFAULT_REJECT_REASONS,
        min_length=1,
        description="The reasons a command centre may give when it rejects a delivery (false positive); "
        "the console offers exactly these, and they become the owners' report filters.",
    )
    keys: tuple[RegionKey, ...] = Field(
        default=(),
        description="The members' public keys (seal: X25519, sign: Ed25519) with their validity, as "
        "`rax keys export` prints them; private keys never leave the region (docs/threat-model.md).",
    )

    @cached_property
    def codes(self) -> frozenset[str]:
        """The member region codes (computed once: a zone is immutable)."""
        return frozenset(r.code for r in self.regions)

    def neighbours(self, code: str) -> frozenset[str]:
        """Members adjacent to ``code``."""
        return frozenset(b if a == code else a for a, b in self.adjacency if code in (a, b))

    def agreements_between(self, owner: str, recipient: str) -> tuple[Agreement, ...]:
        """The agreements from ``owner`` to ``recipient`` (validity and category still to be checked)."""
        return self._agreements_by_pair.get((owner, recipient), ())

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Zone:
        """A copy; what was computed from the original (``codes``, the agreement index) is recomputed."""
        copied = super().model_copy(update=update, deep=deep)
        for name in _CACHED:
            copied.__dict__.pop(name, None)
        return copied

    @cached_property
    def _agreements_by_pair(self) -> dict[tuple[str, str], tuple[Agreement, ...]]:
        # every disclosure asks (8 per whole-zone alert, 3+ per match): an index, built once per zone
        index: dict[tuple[str, str], list[Agreement]] = {}
        for a in self.agreements:
            index.setdefault((a.owner, a.recipient), []).append(a)
        return {pair: tuple(found) for pair, found in index.items()}

    @model_validator(mode="after")
    def _consistent(self) -> Zone:
        problems = [
            *_duplicates("regions", "code", (r.code for r in self.regions)),
            *self._adjacency_problems(),
            *self._agreement_problems(),
            *self._subscription_problems(),
            *key_problems(self.keys, self.codes),
        ]
        if problems:
            raise ZoneError(problems)
        return self

    def _not_member(self, path: str, code: str) -> list[str]:
        return [] if code in self.codes else [f"{path}: {code} is not a member region"]

    def _adjacency_problems(self) -> list[str]:
        problems: list[str] = []
        for i, (a, b) in enumerate(self.adjacency):
            problems += self._not_member(f"adjacency[{i}][0]", a) + self._not_member(f"adjacency[{i}][1]", b)
            if a == b:
                problems.append(f"adjacency[{i}]: a region cannot border itself ({a})")
        pairs = (f"{min(a, b)}-{max(a, b)}" for a, b in self.adjacency)
        return problems + _duplicates("adjacency", None, pairs)

    def _agreement_problems(self) -> list[str]:
        problems: list[str] = []
        for i, agreement in enumerate(self.agreements):
            path = f"agreements[{i}]"
            problems += self._not_member(f"{path}.owner", agreement.owner)
            problems += self._not_member(f"{path}.recipient", agreement.recipient)
            if agreement.owner == agreement.recipient:
                problems.append(
                    f"{path}.recipient: an owner needs no agreement with itself ({agreement.owner})"
                )
        ids = (a.agreement_id for a in self.agreements)
        return problems + _duplicates("agreements", "agreement_id", ids)

    def _subscription_problems(self) -> list[str]:
        problems: list[str] = []
        regions = registry()
        for i, sub in enumerate(self.subscriptions):
            path = f"subscriptions[{i}]"
            problems += self._not_member(f"{path}.region", sub.region)
            for j, area in enumerate(sub.areas):
                if not any(regions.is_within(area, member) for member in self.codes):
                    problems.append(f"{path}.areas[{j}]: {area} is neither a member region nor inside one")
        ids = (s.subscription_id for s in self.subscriptions)
        return problems + _duplicates("subscriptions", "subscription_id", ids)


def _duplicates(collection: str, field: str | None, values: Iterable[str]) -> list[str]:
    """One problem for every value seen before, with both positions."""
    first: dict[str, int] = {}
    problems: list[str] = []
    for i, value in enumerate(values):
        if value in first:
            where = f"{collection}[{i}]" + (f".{field}" if field else "")
            problems.append(f"{where}: {value} is listed twice (first at {collection}[{first[value]}])")
        else:
            first[value] = i
    return problems


class ZoneObject(WireModel):
    """The record on the compacted ``rax.zone`` topic: one whole zone, keyed by ``key``.

    The zone is published as one record, not one per agreement, so every processor switches from one
    consistent zone to the next in one step (no window where an agreement names a region not yet
    known). A zone of hundreds of regions and agreements stays far below Kafka's 1 MB record limit.
    """

    revision: int = Field(ge=1, description="Increases with every publication of this zone.")
    published_at: UtcDatetime = Field(description="When the operator published it, UTC.")
    published_by: ShortText = Field(description="The operator identity that published it.")
    zone: Zone = Field(description="The zone.")

    @property
    def key(self) -> str:
        """The Kafka key of this record on rax.zone."""
        return f"zone:{self.zone.name}"
