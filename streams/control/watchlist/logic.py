"""One place or withdraw command in, the ``rax.watchlist`` record (entry or tombstone) and new state out.

Rules: the command's region must be its topic's region (else an impersonation: region_mismatch); its
record must be keyed by the entry id (the state is partitioned by it); the approval must predate the
command; only the owner may replace or withdraw an entry (not_authorised); a withdrawal of an unknown
entry is an unknown_reference; a command already applied (same command id) changes nothing; a placement
that has already expired is refused; a partial plate outside the zone's policy (``partial_patterns``:
specificity, categories, approval reference, the owner's quota) is refused as not_authorised with the
rule it breaks; a command whose times are implausible on the app's clock
(``schemas.times``) is refused as implausible_time. An entry is in force from its ``placed_at`` to its
``expires_at`` (the hot path matches a read only if the entry was in force at its pass time): so an
entry placed again after a withdrawal or expiry must be dated after that end, or reads made while it
was withdrawn would match it. Expiry and review are decided by ``expire`` and ``overdue_reviews`` for
the timer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from schemas.codec import DecodeError, decode_command, encode
from schemas.dlq import DlqReason, DlqStage
from schemas.partial_policy import PartialPatternPolicy, partial_refusal
from schemas.times import TimeBounds, command_time_problem
from schemas.topics import Catalogue
from schemas.watchlist import Approval, PlaceCommand, WithdrawCommand
from streams.control.common import Output, Rejected, from_epoch, to_epoch
from streams.control.state import EntryState

__all__ = [
    "ACTIVE",
    "EXPIRED",
    "WITHDRAWN",
    "PartialGate",
    "WatchlistResult",
    "expire",
    "overdue_reviews",
    "process_command",
]

ACTIVE, WITHDRAWN, EXPIRED = "active", "withdrawn", "expired"
#: The zone's partial-pattern policy and "active partial entries of (owner, besides this entry)".
PartialGate = tuple[PartialPatternPolicy, Callable[[str, str], int]]
#: How many command ids an entry remembers (re-sends come soon after the original).
_REMEMBERED = 16
#: Clock skew tolerated between the owner's approval system and its command publisher.
_SKEW = timedelta(minutes=5)


@dataclass
class WatchlistResult:
    """What one command produces and changes."""

    op: str
    outputs: list[Output] = field(default_factory=list)
    entries: dict[str, EntryState] = field(default_factory=dict)
    duplicate: bool = False


def _decode(raw: bytes | None, topic_region: str) -> PlaceCommand | WithdrawCommand:
    try:
        command = decode_command(raw)
    except DecodeError as exc:
        raise Rejected(exc.reason, DlqStage.DECODE, str(exc)) from None
    if command.region != topic_region:
        raise Rejected(
            DlqReason.REGION_MISMATCH,
            DlqStage.VALIDATE,
            f"a {command.op} by region {command.region} on the watchlist topic of region {topic_region}",
        )
    _check_approval(
        command.approval if isinstance(command, WithdrawCommand) else command.entry.approval, command
    )
    return command


def _check_approval(approval: Approval, command: PlaceCommand | WithdrawCommand) -> None:
    if approval.approved_at - command.issued_at > _SKEW:  # no sum: a time near year 9999 overflows it
        raise Rejected(
            DlqReason.SCHEMA_VIOLATION,
            DlqStage.VALIDATE,
            f"approval {approval.reference} is dated {approval.approved_at.isoformat()}, after the "
            f"{command.op} command was issued ({command.issued_at.isoformat()})",
        )


def _check_owner(command: PlaceCommand | WithdrawCommand, entry_id: str, state: EntryState | None) -> None:
    """Only the owner may replace or withdraw an entry; judged before the re-send check, so another
    region's command is refused even under a command id the entry remembers."""
    if state is not None and state["owner"] != command.region:
        raise Rejected(
            DlqReason.NOT_AUTHORISED,
            DlqStage.VALIDATE,
            f"entry {entry_id} belongs to region {state['owner']}: only its owner may "
            f"{'replace' if isinstance(command, PlaceCommand) else 'withdraw'} it, not {command.region}",
        )


def _remember(state: EntryState | None, command_id: str) -> list[str]:
    return [*(state["commands"] if state else []), command_id][-_REMEMBERED:]


def _place(
    command: PlaceCommand,
    state: EntryState | None,
    cat: Catalogue,
    now: datetime,
    partials: PartialGate | None = None,
) -> WatchlistResult:
    entry = command.entry
    if partials is not None and entry.plate is not None:  # a blind entry is never partial
        policy, active_of = partials
        refusal = partial_refusal(
            entry.plate,
            entry.category,
            entry.approval.reference,
            active_of(entry.owner, entry.entry_id),
            policy,
        )
        if refusal is not None:
            raise Rejected(DlqReason.NOT_AUTHORISED, DlqStage.VALIDATE, f"entry {entry.entry_id}: {refusal}")
    if entry.expires_at <= now:
        raise Rejected(
            DlqReason.SCHEMA_VIOLATION,
            DlqStage.VALIDATE,
            f"entry {entry.entry_id} expired at {entry.expires_at.isoformat()}, before it could be placed",
        )
    ended = state.get("ended_at") if state is not None and state["status"] != ACTIVE else None
    if ended is not None and to_epoch(entry.placed_at) < ended:
        raise Rejected(
            DlqReason.SCHEMA_VIOLATION,
            DlqStage.VALIDATE,
            f"entry {entry.entry_id} was {state['status'] if state else ''} at "
            f"{from_epoch(ended).isoformat()}; placed again, its placed_at "
            f"({entry.placed_at.isoformat()}) must not be before that, or reads made while it was "
            "not in force would match it",
        )
    result = WatchlistResult(op=command.op)
    result.outputs.append(Output(cat.watchlist, entry.entry_id.encode(), encode(entry)))
    result.entries[entry.entry_id] = EntryState(
        owner=entry.owner,
        status=ACTIVE,
        expires_at=to_epoch(entry.expires_at),
        review_at=to_epoch(entry.review_at) if entry.review_at else None,
        commands=_remember(state, command.command_id),
    )
    return result


def _withdraw(command: WithdrawCommand, state: EntryState | None, cat: Catalogue) -> WatchlistResult:
    if state is None:
        raise Rejected(
            DlqReason.UNKNOWN_REFERENCE,
            DlqStage.VALIDATE,
            f"withdraws entry {command.entry_id}, never placed",
        )
    result = WatchlistResult(op=command.op)
    if state["status"] == ACTIVE:
        result.outputs.append(Output(cat.watchlist, command.entry_id.encode(), None))
    result.entries[command.entry_id] = EntryState(
        owner=state["owner"],
        status=WITHDRAWN if state["status"] == ACTIVE else state["status"],
        expires_at=state["expires_at"],
        review_at=state["review_at"],
        commands=_remember(state, command.command_id),
        ended_at=to_epoch(command.issued_at) if state["status"] == ACTIVE else state.get("ended_at"),
    )
    return result


def process_command(
    raw: bytes | None,
    topic_region: str,
    *,
    catalogue: Catalogue,
    now: datetime,
    entries: Mapping[str, EntryState],
    key: str | None = None,
    received: datetime | None = None,
    bounds: TimeBounds | None = None,
    partials: PartialGate | None = None,
) -> WatchlistResult:
    """Process one record of ``rax.in.<topic_region>.watchlist`` keyed ``key``; raises ``Rejected``.

    Its times are judged against ``received`` (when the app took it in; ``now`` if not given) within
    ``bounds`` (the zone's; the defaults if not given). A placement of a partial plate is judged by the
    zone's policy and the owner's active partial entries (``partials``; not judged if not given).
    """
    command = _decode(raw, topic_region)
    entry_id = command.entry.entry_id if isinstance(command, PlaceCommand) else command.entry_id
    if key is not None and key != entry_id:
        raise Rejected(
            DlqReason.SCHEMA_VIOLATION,
            DlqStage.VALIDATE,
            f"keyed {key!r:.80}, not by the entry id of its {command.op} ({entry_id})",
        )
    state = entries.get(entry_id)
    _check_owner(command, entry_id, state)
    if state is not None and command.command_id in state["commands"]:
        return WatchlistResult(op=command.op, duplicate=True)
    problem = command_time_problem(command, bounds or TimeBounds(), received or now)
    if problem is not None:
        raise Rejected(DlqReason.IMPLAUSIBLE_TIME, DlqStage.VALIDATE, problem)
    if isinstance(command, PlaceCommand):
        return _place(command, state, catalogue, now, partials)
    return _withdraw(command, state, catalogue)


def expire(entry_id: str, state: EntryState, catalogue: Catalogue, now: datetime) -> WatchlistResult | None:
    """The tombstone and new state of an active entry whose expiry has passed at ``now``, else None."""
    if state["status"] != ACTIVE or state["expires_at"] > to_epoch(now):
        return None
    result = WatchlistResult(op="expire")
    result.outputs.append(Output(catalogue.watchlist, entry_id.encode(), None))
    result.entries[entry_id] = EntryState(
        owner=state["owner"],
        status=EXPIRED,
        expires_at=state["expires_at"],
        review_at=state["review_at"],
        commands=state["commands"],
        ended_at=state["expires_at"],
    )
    return result


def overdue_reviews(
    entries: Iterable[tuple[str, EntryState]], now: datetime
) -> tuple[Counter[str], list[str]]:
    """Active entries past their review date: the count per owner region and their ids."""
    at = to_epoch(now)
    per_region: Counter[str] = Counter()
    ids: list[str] = []
    for entry_id, state in entries:
        review = state["review_at"]
        if state["status"] == ACTIVE and review is not None and review <= at:
            per_region[state["owner"]] += 1
            ids.append(entry_id)
    return per_region, sorted(ids)
