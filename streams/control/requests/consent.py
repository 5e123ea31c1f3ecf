"""Who a cooperation request may go to: the agreement rule applied both ways, with the stated purpose.

A request of A to B tells B of A's case (the plate, the person, the purpose): A's data, so it needs
``may_disclose(A → B)`` for the request's category. B's answer (its reads, its findings) is B's data
going back to A, so a request B could never lawfully answer is refused up front: it also needs
``may_disclose(B → A)``. Both agreements must list the request's purpose: a request states why, and
the agreement is what allows that why (an agreement's first purpose is not substituted, as it is for
an alert, which states no purpose). Refusals are all or nothing: a request naming one region it may
not go to is refused whole, so the requester fixes it and sends it again; each refused region is
audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.audit import AuditReason, ConsentSide
from schemas.disclosure import Disclosure, may_disclose
from schemas.vocab import Category
from schemas.zone import Zone

__all__ = ["Consent", "request_consent"]


@dataclass(frozen=True, slots=True)
class Consent:
    """The decision for one recipient: the request's basis (A → B) and the answers' (B → A)."""

    request: Disclosure
    answer: Disclosure
    purpose: str
    problem: str | None = None  # why it is refused, for a person; None when allowed

    @property
    def allowed(self) -> bool:
        return self.problem is None

    def refusal(self) -> tuple[AuditReason, str | None, ConsentSide]:
        """What the refusal's audit record says: reason, the agreement concerned, the side refusing
        (``entry``: the requester's consent to tell the recipient, ``read``: the recipient's to answer)."""
        for d, side in ((self.request, ConsentSide.ENTRY), (self.answer, ConsentSide.READ)):
            if not d.disclosed:
                return d.reason, d.agreement_id, side
            if d.reason == AuditReason.AGREEMENT and d.purpose != self.purpose:
                return AuditReason.PURPOSE_NOT_ALLOWED, d.agreement_id, side
        raise ValueError("the request is allowed: there is no refusal")


def _purpose_problem(d: Disclosure, purpose: str, owner: str) -> str | None:
    if not d.disclosed:
        return f"{owner} → {d.recipient}: {d.reason.value}"
    if d.reason == AuditReason.AGREEMENT and d.purpose != purpose:
        return f"{owner} → {d.recipient}: agreement {d.agreement_id} does not list purpose {purpose!r}"
    return None


def request_consent(
    zone: Zone, requester: str, recipient: str, category: Category, purpose: str, at: datetime
) -> Consent:
    """May ``requester`` ask ``recipient`` (and ``recipient`` answer) about ``category`` for ``purpose``?"""
    asked = may_disclose(zone, requester, recipient, category, at, purpose)
    answer = may_disclose(zone, recipient, requester, category, at, purpose)
    problem = _purpose_problem(asked, purpose, requester) or _purpose_problem(answer, purpose, recipient)
    return Consent(asked, answer, purpose, problem)
