"""Which copies of a request thread are sealed: ``schemas.seal_policy`` applied to requests and answers.

A thread with a recipient B is sealed when either of its agreements says ``seal`` (A → B, the request's;
B → A, the answers'): an answer speaks of the request's case, and a request tells of what the answers
will be about, so the two directions are sealed together. Sealing a request to B needs B's seal key;
sealing B's answers back needs A's. A request either can lack is refused up front, all or nothing like
every other refusal of a request (``no_seal_key``), rather than leaving B with a request it could not
answer. Any sealed copy seals every other copy whose recipient holds a key (the requester's own copy,
the other recipients', the answerer's receipt): the rule of ``seal_decisions``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from schemas.audit import AuditReason, ConsentSide
from schemas.disclosure import Disclosure
from schemas.keys import RegionKey
from schemas.seal_policy import agreement_seals, seal_decisions
from schemas.zone import Zone
from streams.control.requests.consent import Consent
from streams.control.state import RequestState

__all__ = ["NoSealKey", "answer_keys", "request_keys"]


@dataclass(frozen=True, slots=True)
class NoSealKey:
    """A recipient the request may not go to for want of a seal key: what its refusal's record says."""

    recipient: str
    agreement_id: str | None
    side: ConsentSide
    problem: str

    def refusal(self) -> tuple[AuditReason, str | None, ConsentSide]:
        return AuditReason.NO_SEAL_KEY, self.agreement_id, self.side


def _missing(recipient: str, agreement: str | None, side: ConsentSide, owner: str, to: str) -> NoSealKey:
    problem = f"{owner} → {to}: agreement {agreement} says seal and {to} has no seal key"
    return NoSealKey(recipient, agreement, side, problem)


def request_keys(
    zone: Zone, requester: str, consents: Mapping[str, Consent], now: datetime
) -> tuple[dict[str, RegionKey | None], list[NoSealKey]]:
    """The key each copy of a request is sealed to (None: in clear), the requester's own copy included,
    and the recipients refused because a sealed thread lacks a key on either side."""
    asked = [replace(c.request, seal=c.request.seal or c.answer.seal) for c in consents.values()]
    sealings = seal_decisions(zone, [*asked, Disclosure(requester, AuditReason.OWNER)], now)
    keys = {d.recipient: k for d, k in sealings}
    missing = [_missing(d.recipient, d.agreement_id, ConsentSide.ENTRY, requester, d.recipient)
               for d, _ in sealings if not d.disclosed]  # fmt: skip
    for recipient, c in consents.items():
        back = replace(c.answer, recipient=requester, seal=c.request.seal or c.answer.seal)
        ((answered, _),) = seal_decisions(zone, [back], now)
        if not answered.disclosed and all(m.recipient != recipient for m in missing):
            missing.append(_missing(recipient, c.answer.agreement_id, ConsentSide.READ, recipient, requester))
    return keys, missing


def answer_keys(
    zone: Zone, state: RequestState, region: str, agreement: str | None, seals: bool, now: datetime
) -> dict[str, RegionKey | None] | None:
    """The key the answer of ``region`` is sealed to for the requester and for its own receipt, or None
    when the requester's copy must be sealed and the requester has no key now (fail closed).

    ``seals``: the thread's agreements say seal (as judged for this answer); a thread another recipient's
    agreements seal is sealed too wherever a key is held.
    """
    requester, party = state["requester"], state["parties"][region]
    elsewhere = agreement_seals(
        zone, *(a for p in state["parties"].values() for a in (p["agreement"], p["answer_agreement"]))
    )
    to_requester = Disclosure(requester, AuditReason.AGREEMENT, agreement, party["purpose"], seal=seals)
    sealings = seal_decisions(
        zone, [to_requester, Disclosure(region, AuditReason.OWNER)], now, sealed_elsewhere=elsewhere
    )
    if not sealings[0][0].disclosed:
        return None
    return {d.recipient: k for d, k in sealings}
