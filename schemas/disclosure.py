"""The one agreement rule: may an owner disclose a category to a recipient, at a time, for a purpose.

Every processor that hands one region's data to another asks here and records the answer in the audit;
nothing else decides. An alert is one region's data (``may_disclose``). A match joins two regions' data
— the entry of its owner and the read of the region whose camera made it (属地) — so it needs both
sides' consent (``may_disclose_match``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from schemas.audit import AuditReason, ConsentSide, Decision
from schemas.sharing import RedactField, selects
from schemas.vocab import Category
from schemas.zone import Zone

__all__ = ["Disclosure", "may_disclose", "may_disclose_match"]


@dataclass(frozen=True, slots=True)
class Disclosure:
    """Whether ``recipient`` may be given the data, on which basis, for which purpose, minus which fields.

    ``agreement_id`` is the basis of a disclosure under an agreement; for a refusal as
    ``agreement_not_in_force`` it names the agreement that covers the category but is not in force
    (what a person would renew), for ``no_seal_key`` the agreement that asks for sealing; otherwise it
    is ``None``. ``purpose`` and ``redact`` are set only
    when disclosed under an agreement. A value, built by ``may_disclose`` or (for a basis decided
    earlier and kept in state) by the caller.
    """

    recipient: str
    reason: AuditReason
    agreement_id: str | None = None
    purpose: str | None = None
    redact: tuple[RedactField, ...] = ()
    read_agreement_id: str | None = None
    refused_by: ConsentSide | None = None
    seal: bool = False  # an agreement it rests on (either side's) says its body is sealed to the recipient

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
    return Disclosure(
        recipient, AuditReason.AGREEMENT, basis.agreement_id, chosen, basis.redact, seal=basis.seal
    )


def may_disclose_match(
    zone: Zone,
    owner: str,
    read_region: str,
    recipient: str,
    category: Category,
    at: datetime,
    purpose: str | None = None,
) -> Disclosure:
    """May ``recipient`` learn of a match of ``owner``'s entry on a read made in ``read_region``?

    Two-sided consent, in the words of the cooperation agreements: the entry is the owner's, the read
    is the data of the region whose camera made it (属地 data stays with the region that read it unless
    it agreed). So the recipient needs both:

    1. the entry side: ``may_disclose(owner → recipient)`` (the recipient is the owner, or an agreement
       of the owner covers the category), and
    2. the read side: ``may_disclose(read_region → recipient)`` (the recipient made the read, or an
       agreement of the read's region covers the category).

    The entry side is asked first; a refusal names the side that refused (``refused_by``) and that
    side's reason (and, for ``agreement_not_in_force``, its agreement). A disclosure is ``owner`` only
    when the recipient is both the owner and the read's region; otherwise it is ``agreement``, with the
    owner's agreement in ``agreement_id`` and the read region's in ``read_agreement_id`` (each ``None``
    on the side the recipient is itself). The purpose is the entry side's (the owner placed the entry
    for it), else the read side's; the redactions of both agreements apply, and the body is sealed if
    either agreement says ``seal``.
    """
    entry = may_disclose(zone, owner, recipient, category, at, purpose)
    if not entry.disclosed:
        return replace(entry, refused_by=ConsentSide.ENTRY)
    read = may_disclose(zone, read_region, recipient, category, at, purpose)
    if not read.disclosed:
        return Disclosure(
            recipient, read.reason, read_agreement_id=read.agreement_id, refused_by=ConsentSide.READ
        )
    if entry.reason == AuditReason.OWNER and read.reason == AuditReason.OWNER:
        return entry
    redact = tuple(dict.fromkeys((*entry.redact, *read.redact)))
    return Disclosure(
        recipient,
        AuditReason.AGREEMENT,
        entry.agreement_id,
        entry.purpose or read.purpose,
        redact,
        read_agreement_id=read.agreement_id,
        seal=entry.seal or read.seal,
    )
