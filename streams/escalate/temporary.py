"""Temporary agreements of operations (pure): accepted from the owner, kept with the plates, and the
members a match on those plates flows to under them.

The owner's ``TemporaryAgreement`` meets its operation in the partition of the operation's id
(``accept``). Accepted, it is audited once per member and forwarded to the partition of each of the
operation's plates (``plate_records``), where the plate's state keeps it as an ``InForce`` until it
expires or the operation ends (``end_records``). A match on the plate then also goes (``flow``) to each
member the standing decision does not give it to — the owner's side of consent granted by the temporary
agreement, the read's side by its region being a member (or by the standing agreements) — with the
standing redactions except ``unredact``, audited with reason ``temporary_agreement``. Sealed as
``schemas.seal_policy`` says: a member whose standing agreement with the owner says ``seal`` gets it
sealed (or nothing, ``no_seal_key``), and when the hot path sealed any copy of the match every member
holding a key gets it sealed too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson

from schemas.audit import AuditReason
from schemas.codec import encode
from schemas.delivery import DeliveryKind, delivery_id
from schemas.disclosure import Disclosure, may_disclose
from schemas.dlq import DlqReason
from schemas.match_records import match_audit, match_delivery, match_delivery_id
from schemas.matching import Match
from schemas.operation import TemporaryAgreement
from schemas.recipients import decide_recipients
from schemas.seal_policy import hides_plates, seal_decisions
from schemas.sharing import RedactField
from schemas.topics import Catalogue
from schemas.zone import Zone
from streams.escalate.closing import KIND_HEADER, CloseRefused, Kept, owned
from streams.escalate.operations import audit_record, consent, notice, sealed_body
from streams.runtime import Outgoing

__all__ = ["TEMP", "InForce", "accept", "end_records", "flow", "flow_outputs", "plate_records"]

#: the inbox kind of a temporary agreement (or its end) forwarded to a plate's partition
TEMP = b"temp"


@dataclass(frozen=True, slots=True)
class InForce:
    """A temporary agreement as a plate's state keeps it."""

    agreement_id: str
    operation_id: str
    owner: str
    members: tuple[str, ...]
    categories: tuple[str, ...]
    unredact: tuple[str, ...]
    purpose: str
    expires: float  # epoch seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.agreement_id,
            "op": self.operation_id,
            "owner": self.owner,
            "members": list(self.members),
            "categories": list(self.categories),
            "unredact": list(self.unredact),
            "purpose": self.purpose,
            "expires": self.expires,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> InForce:
        return cls(
            d["id"],
            d["op"],
            d["owner"],
            tuple(d["members"]),
            tuple(d["categories"]),
            tuple(d["unredact"]),
            d["purpose"],
            float(d["expires"]),
        )


def accept(kept: Kept | None, cmd: TemporaryAgreement, zone: Zone, now: datetime, ends_at: float) -> Kept:
    """``kept`` with ``cmd`` as its temporary agreement; raises ``CloseRefused`` when it may not have it.

    ``ends_at``: when the operation expires (epoch seconds): the agreement may not outlive it.
    """
    kept = owned(kept, cmd.operation_id, cmd.region, "agree for")
    op = kept.operation
    if kept.closure is not None:
        raise CloseRefused(DlqReason.UNKNOWN_REFERENCE, f"operation {op.operation_id} is closed already")
    if not now.timestamp() < cmd.expires_at.timestamp() <= ends_at:
        raise CloseRefused(
            DlqReason.NOT_AUTHORISED,
            f"expires_at: must lie after now and not after the operation's end "
            f"({datetime.fromtimestamp(ends_at).isoformat()})",
        )
    for member in kept.recipients:
        if member == op.owner:
            continue
        allowed = [
            a
            for a in zone.agreements
            if a.owner == op.owner
            and a.recipient == member
            and a.is_valid_at(now)
            and cmd.purpose in a.purposes
        ]
        if not allowed:
            raise CloseRefused(
                DlqReason.NOT_AUTHORISED,
                f"purpose: no agreement of {op.owner} with member {member} in force lists {cmd.purpose!r}",
            )
    return replace(kept, agreement=cmd)


def _in_force(kept: Kept) -> InForce:
    cmd = kept.agreement
    assert cmd is not None
    return InForce(
        cmd.agreement_id,
        kept.operation.operation_id,
        kept.operation.owner,
        kept.recipients,
        tuple(c.value for c in cmd.categories),
        tuple(f.value for f in cmd.unredact),
        cmd.purpose,
        cmd.expires_at.timestamp(),
    )


def _plates(kept: Kept) -> list[str]:
    return list(dict.fromkeys(r.plate for r in kept.operation.evidence))


def plate_records(cat: Catalogue, zone: Zone, kept: Kept, now: datetime) -> list[Outgoing]:
    """The accepted agreement to each plate's partition, and its audit record for each member."""
    agreement = _in_force(kept)
    value = orjson.dumps({"set": agreement.to_json()})
    out = [Outgoing(cat.escalate_inbox, p.encode(), value, [(KIND_HEADER, TEMP)]) for p in _plates(kept)]
    cmd, op = kept.agreement, kept.operation
    assert cmd is not None
    detail = (
        f"temporary agreement {cmd.agreement_id} for operation {op.operation_id} until "
        f"{cmd.expires_at.isoformat()}: categories {', '.join(agreement.categories)}; unredacted "
        f"{', '.join(agreement.unredact) or 'nothing'}; basis: {cmd.legal_basis}"
    )
    # an operation sealed to any member: the records of its agreement do not name its plates either
    sealed = any(consent(zone, op, m, now)[0].seal for m in kept.recipients)
    for member in kept.recipients:
        did = delivery_id(cmd.agreement_id, "temporary_agreement", member)
        d = Disclosure(member, AuditReason.TEMPORARY_AGREEMENT, cmd.agreement_id, cmd.purpose)
        audit = audit_record(op, DeliveryKind.OPERATION, did, member, d, now, detail, hidden=sealed)
        out.append(Outgoing(cat.audit, did.encode(), encode(audit)))
    return out


def end_records(cat: Catalogue, kept: Kept) -> list[Outgoing]:
    """The end of ``kept``'s agreement (the operation closed) to each plate's partition."""
    if kept.agreement is None:
        return []
    value = orjson.dumps({"end": kept.operation.operation_id})
    return [Outgoing(cat.escalate_inbox, p.encode(), value, [(KIND_HEADER, TEMP)]) for p in _plates(kept)]


def _standing(zone: Zone, owner: str, member: str, at: datetime) -> tuple[set[str], bool]:
    """The redactions of the owner's standing agreements with ``member`` in force, and whether any seals."""
    standing = [a for a in zone.agreements_between(owner, member) if a.is_valid_at(at)]
    return {f.value for a in standing for f in a.redact}, any(a.seal for a in standing)


def flow(zone: Zone, match: Match, agreements: list[InForce], at: datetime) -> list[Disclosure]:
    """The members ``match`` goes to under ``agreements`` beyond those the standing decision gives it."""
    hit = match.hit
    standing = {
        d.recipient
        for d in decide_recipients(zone, match.owner, match.category, hit.region, at)
        if d.disclosed
    }
    out: list[Disclosure] = []
    for a in agreements:
        if a.expires <= hit.pass_time.timestamp() or a.expires <= at.timestamp():
            continue
        if match.owner != a.owner or match.category.value not in a.categories:
            continue
        for member in a.members:
            if member in standing or any(d.recipient == member for d in out):
                continue
            read_side = (
                hit.region == member
                or hit.region in a.members
                or may_disclose(zone, hit.region, member, match.category, at).disclosed
            )
            if not read_side:
                continue
            redactions, seal = _standing(zone, a.owner, member, at)
            fields = tuple(RedactField(f) for f in sorted(redactions - set(a.unredact)))
            basis = (AuditReason.TEMPORARY_AGREEMENT, a.agreement_id, a.purpose, fields)
            out.append(Disclosure(member, *basis, seal=seal))
    return out


def flow_outputs(
    cat: Catalogue, zone: Zone, match: Match, disclosures: list[Disclosure], operation_id: str, now: datetime
) -> list[Outgoing]:
    """Each disclosure's delivery (sealed as ``schemas.seal_policy`` says), its notice to the control app
    and its audit record; a disclosure that must be sealed to a member without a key is only audited."""
    hit = match.hit
    standing = decide_recipients(zone, match.owner, match.category, hit.region, now)
    elsewhere = any(d.disclosed and d.seal for d in standing)  # the hot path sealed a copy of it
    out: list[Outgoing] = []
    detail = f"under the temporary agreement of operation {operation_id}"
    for d, key in seal_decisions(zone, disclosures, now, seal_all=match.blind, sealed_elsewhere=elsewhere):
        did = match_delivery_id(match, d.recipient).encode()
        if d.disclosed:
            delivery = match_delivery(match, d, now)
            out += [Outgoing(cat.out(d.recipient), did, sealed_body(delivery, key)), notice(cat, delivery)]
        sealed_to = key.key_id if key is not None else None
        hidden = match.blind or hides_plates(d, key)  # a blind entry's plate: in no audit record
        audit = match_audit(match, d, now, detail, sealed_to=sealed_to, hidden=hidden)
        out.append(Outgoing(cat.audit, did, encode(audit)))
    return out
