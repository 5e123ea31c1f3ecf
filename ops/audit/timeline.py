"""An accountability timeline from audit records alone: who received what, when, on which basis, who
acknowledged or answered, who acted, and who let a deadline pass.

Pure: audit records in, a ``Timeline`` out. Each record is one event in time order; the ``parties``
view sums up, per receiving region, what it was given and what it did about it: a delivery owed an
answer shows as acknowledged (an act record refers to it) or breached (a breach record refers to it),
or as still open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from schemas.audit import AuditAct, AuditRecord, Decision
from schemas.delivery import DeliveryKind

__all__ = ["Event", "Party", "Timeline", "build_timeline"]


@dataclass(frozen=True, slots=True)
class Event:
    """One audit record, said in words."""

    at: str
    kind: str
    what: str
    record: AuditRecord

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at, "event": self.kind, "text": self.what, **_fields(self.record)}


@dataclass
class Party:
    """What one region was given in the trace and what it did."""

    region: str
    received: list[str] = field(default_factory=list)  # delivery ids disclosed to it by others
    refused: list[str] = field(default_factory=list)
    acted: list[str] = field(default_factory=list)  # "<act> <delivery id>"
    breached: list[str] = field(default_factory=list)  # "<stage> <delivery id>"

    def open(self) -> list[str]:
        """Deliveries it received that no act and no breach refers to yet."""
        done = {a.split(" ", 1)[1] for a in self.acted} | {b.split(" ", 1)[1] for b in self.breached}
        return [d for d in self.received if d not in done]

    def as_json(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "refused": self.refused,
            "acted": self.acted,
            "breached": self.breached,
            "open": self.open(),
        }


@dataclass
class Timeline:
    """The events of a trace in time order, and every region's part."""

    events: list[Event]
    parties: dict[str, Party]

    def as_json(self) -> dict[str, Any]:
        return {
            "events": [e.as_json() for e in self.events],
            "parties": {r: p.as_json() for r, p in sorted(self.parties.items())},
        }

    def text(self) -> list[str]:
        """The readable timeline, then one line per region."""
        lines = [f"{e.at}  {e.kind:<12}  {e.what}" for e in self.events]
        lines.append("")
        for region, p in sorted(self.parties.items()):
            lines.append(
                f"{region}: received {len(p.received)}, refused {len(p.refused)}, acted {len(p.acted)}, "
                f"breached {len(p.breached)}, open {len(p.open())}"
            )
        return lines


def _fields(r: AuditRecord) -> dict[str, Any]:
    return r.model_dump(mode="json", exclude_none=True, exclude={"schema_version", "audit_id"})


def _short(did: str | None) -> str:
    return (did or "")[:8]


def _describe(r: AuditRecord) -> tuple[str, str]:
    """(event kind, words) of one record."""
    officer = f" (officer {r.actor})" if r.actor else ""
    if r.act == AuditAct.TRACED:
        return "traced", f"{r.owner} ran an audit trace of {r.subject_id}{officer}"
    if r.act == AuditAct.ACKNOWLEDGED:
        return "acknowledged", f"{r.owner} answered {r.kind} {_short(r.refers_to)}: {r.detail}{officer}"
    if r.act is not None:
        said = f": {r.detail}" if r.detail and r.detail != r.act.value else ""
        return r.act.value, f"{r.owner} {r.act.value} request {r.subject_id} for {r.recipient}{said}{officer}"
    if r.kind == DeliveryKind.DEADLINE_BREACH:
        return "breach", f"{r.detail or 'a deadline passed'} ({_short(r.refers_to)}; {r.owner} told)"
    if r.decision == Decision.REFUSED:
        side = f", {r.refused_by.value} side" if r.refused_by else ""
        return (
            "refused",
            f"{r.kind} {_short(r.delivery_id)} of {r.owner} refused to {r.recipient}: {r.reason.value}{side}",
        )
    basis = f"under {r.agreement_id} for {r.purpose}" if r.agreement_id else "(its own copy)"
    where = f", seen in {r.hit_region}" if r.hit_region else ""
    return "disclosed", f"{r.kind} {_short(r.delivery_id)} of {r.owner} to {r.recipient} {basis}{where}"


def _account(parties: dict[str, Party], r: AuditRecord) -> None:
    def party(region: str) -> Party:
        return parties.setdefault(region, Party(region))

    if r.act == AuditAct.TRACED:
        return
    if r.act is not None:
        party(r.owner).acted.append(f"{r.act.value} {r.refers_to or r.delivery_id}")
    elif r.kind == DeliveryKind.DEADLINE_BREACH:
        late = (r.detail or "").split(" ", 1)[0]
        stage = "outcome" if " outcome " in f" {r.detail} " else "acknowledge"
        party(late if late.isdigit() else r.owner).breached.append(f"{stage} {r.refers_to or r.delivery_id}")
    elif r.decision == Decision.REFUSED:
        party(r.recipient).refused.append(r.delivery_id)
    elif r.recipient != r.owner:
        party(r.recipient).received.append(r.delivery_id)


def build_timeline(records: Iterable[AuditRecord]) -> Timeline:
    """The timeline of ``records`` (any order; the same record twice counts once)."""
    unique = {(r.audit_id, r.act, r.refers_to): r for r in records}
    ordered = sorted(unique.values(), key=lambda r: (r.at, r.act is not None))
    parties: dict[str, Party] = {}
    events = []
    for r in ordered:
        kind, what = _describe(r)
        events.append(Event(r.at.isoformat(), kind, what, r))
        _account(parties, r)
    return Timeline(events, parties)
