"""Which copies of one subject are sealed, and to which key: the one sealing rule of every processor.

A subject (a match, an alert, a request, an answer, an operation or its closing) is delivered to a few
regions, each under its own disclosure decision. ``seal_decisions`` says, for all of them together:

1. a disclosure whose agreement says ``seal`` (``Disclosure.seal``) is sealed to the recipient's current
   ``seal`` key in the zone (``schemas.keys.current_key``); a recipient without one gets nothing: the
   disclosure fails closed, turned into a refusal ``no_seal_key`` (no purpose, no redactions: nothing
   was disclosed), never sent in clear;
2. when any copy of the subject is sealed (``sealed_elsewhere``: a copy another processor delivers, e.g.
   the hot path's copies of a match that a temporary agreement sends further), every other disclosed
   copy whose recipient holds a current key is sealed too: the owner's own copy must not show the
   broker what the sealed copy hides; a recipient without a key keeps its copy in clear (its agreement
   does not ask for sealing);
3. ``seal_all`` (a blind entry's match): every disclosed copy is sealed, or refused ``no_seal_key``.

Pure: no Kafka, no clock; the caller passes the zone and ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from schemas.audit import AuditReason
from schemas.disclosure import Disclosure
from schemas.keys import KeyPurpose, RegionKey, current_key
from schemas.zone import Zone

__all__ = ["Sealing", "agreement_seals", "fail_closed", "hides_plates", "seal_decisions"]

#: one decision as sent: the disclosure (a ``no_seal_key`` refusal if it failed closed) and the key its
#: delivery is sealed to (None: delivered in clear, or refused)
Sealing = tuple[Disclosure, RegionKey | None]


def fail_closed(d: Disclosure) -> Disclosure:
    """``d`` turned into the refusal of a disclosure that must be sealed to a recipient without a key."""
    return replace(d, reason=AuditReason.NO_SEAL_KEY, purpose=None, redact=())


def seal_decisions(
    zone: Zone,
    decisions: Iterable[Disclosure],
    now: datetime,
    *,
    seal_all: bool = False,
    sealed_elsewhere: bool = False,
) -> list[Sealing]:
    """Each of ``decisions`` (one subject's, one per recipient) with the key its delivery is sealed to."""
    decided = list(decisions)
    sealed = seal_all or sealed_elsewhere or any(d.seal and d.disclosed for d in decided)
    out: list[Sealing] = []
    for d in decided:
        if not d.disclosed:
            out.append((d, None))
            continue
        if not sealed:  # the common case: nothing of this subject is sealed
            out.append((d, None))
            continue
        key = current_key(zone.keys, d.recipient, KeyPurpose.SEAL, now)
        if key is not None:
            out.append((d if d.seal else replace(d, seal=True), key))
        elif d.seal or seal_all:
            out.append((fail_closed(d), None))
        else:
            out.append((d, None))
    return out


def hides_plates(d: Disclosure, key: RegionKey | None) -> bool:
    """Whether the audit record of ``d`` must leave the clear data out (plates, free text): its delivery
    is sealed, or it was refused because it had to be sealed and could not (``no_seal_key``)."""
    return key is not None or d.reason == AuditReason.NO_SEAL_KEY


def agreement_seals(zone: Zone, *agreement_ids: str | None) -> bool:
    """Whether any of the zone's agreements named (a basis kept in state) says ``seal``.

    An agreement no longer in the zone seals nothing by itself; what it disclosed is judged again by the
    caller where the rule asks for it (e.g. an Update, a result).
    """
    wanted = {a for a in agreement_ids if a}
    return bool(wanted) and any(a.seal for a in zone.agreements if a.agreement_id in wanted)
