"""The one agreement rule: may an owner disclose a category to a recipient, at a time, for a purpose.

Every processor that hands one region's data to another (matches on the hot path, alerts in the
control plane) asks ``may_disclose`` and records its answer in the audit; nothing else decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.audit import AuditReason, Decision
from schemas.sharing import RedactField, selects
from schemas.vocab import Category
from schemas.zone import Zone

__all__ = ["Disclosure", "may_disclose"]


@dataclass(frozen=True, slots=True)
class Disclosure:
    """Whether ``recipient`` may be given the data, on which basis, for which purpose, minus which fields.

    ``agreement_id`` is the basis of a disclosure under an agreement; for a refusal as
    ``agreement_not_in_force`` it names the agreement that covers the category but is not in force
    (what a person would renew); otherwise it is ``None``. ``purpose`` and ``redact`` are set only
    when disclosed under an agreement. A value, built by ``may_disclose`` or (for a basis decided
    earlier and kept in state) by the caller.
    """

    recipient: str
    reason: AuditReason
    agreement_id: str | None = None
    purpose: str | None = None
    redact: tuple[RedactField, ...] = ()

    @property
    def disclosed(self) -> bool:
        """True if the recipient may be given the data (it owns it, or an agreement allows it)."""
        return self.reason.discloses

    @property
    def decision(self) -> Decision:
        """The audit record's ``decision``: disclosed or refused."""
        return Decision.DISCLOSED if self.disclosed else Decision.REFUSED


def may_disclose(
    zone: Zone,
    owner: str,
    recipient: str,
    category: Category,
    at: datetime,
    purpose: str | None = None,
) -> Disclosure:
    """May ``owner`` disclose its data of ``category`` to ``recipient`` at ``at`` (for ``purpose``)?

    The rule, in words:

    1. The owner always sees its own data, whole (reason ``owner``).
    2. Anyone else needs an agreement of the zone from the owner to that recipient
       (else ``no_agreement``) that selects the category (else ``category_not_allowed``) and is in
       force at ``at`` — ``valid_from <= at < valid_until`` (else ``agreement_not_in_force``).
       The category is checked before validity so that the reason names what is missing: an
       agreement that would allow it once renewed, or none that ever could.
    3. Of several agreements that allow it, the one with the smallest ``agreement_id`` is the basis,
       so every worker and every replay decides (and audits) alike (reason ``agreement``).
    4. The purpose is the one asked for if that agreement lists it, else the agreement's first purpose.
    5. The agreement's ``redact`` fields are removed before the data leaves the processor.
    """
    if recipient == owner:
        return Disclosure(recipient, AuditReason.OWNER)
    agreements = sorted(zone.agreements_between(owner, recipient), key=lambda a: a.agreement_id)
    if not agreements:
        return Disclosure(recipient, AuditReason.NO_AGREEMENT)
    covering = [a for a in agreements if selects(a.categories, category)]
    if not covering:
        return Disclosure(recipient, AuditReason.CATEGORY_NOT_ALLOWED)
    allowing = [a for a in covering if a.allows(category, at)]
    if not allowing:
        return Disclosure(recipient, AuditReason.AGREEMENT_NOT_IN_FORCE, covering[0].agreement_id)
    basis = allowing[0]
    chosen = purpose if purpose in basis.purposes else basis.purposes[0]
    return Disclosure(recipient, AuditReason.AGREEMENT, basis.agreement_id, chosen, basis.redact)
