"""Special operations, their closings and temporary-agreement matches sealed where an agreement says seal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519

from ops.centre.operations import fold
from ops.centre.outbox import opened
from ops.keys import KeyStore, SealKeyLookup
from ops.zone import load_zone_file
from schemas.audit import AuditReason, AuditRecord, Decision
from schemas.codec import decode
from schemas.crypto import OpenError, public_record
from schemas.delivery import Delivery
from schemas.disclosure import Disclosure
from schemas.escalation import ClonedPlateRule, EscalationRules
from schemas.operation import EscalationTrigger, Operation, OperationClose, OperationOutcome, close_id
from schemas.sealed_delivery import open_delivery
from schemas.topics import Catalogue
from schemas.zone import Zone
from streams.escalate.closing import Kept, close, closing_deliveries
from streams.escalate.operations import build_operation, deliver
from streams.escalate.rules import Firing
from streams.escalate.seen import Seen
from streams.escalate.temporary import flow_outputs
from streams.runtime import Outgoing
from tests.support.hotpath import EXAMPLE_ZONE
from tests.unit.models_factories import match

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
CAT = Catalogue("rax")
RULES = EscalationRules(cloned_plate=ClonedPlateRule())
SC, CQ = "510000", "500000"
PRIVATE = {r: x25519.X25519PrivateKey.generate() for r in (SC, CQ, "500153")}
SINCE = datetime(2024, 1, 1, tzinfo=UTC)


def _zone(keys: tuple[str, ...] = (SC, CQ)) -> Zone:
    base = load_zone_file(EXAMPLE_ZONE)
    agreements = [a.model_copy(update={"seal": a.agreement_id == "cy-2024-sc-cq"}) for a in base.agreements]
    records = [public_record(r, PRIVATE[r], SINCE) for r in keys]
    return base.model_copy(
        update={"agreements": tuple(agreements), "keys": tuple(records), "escalation": RULES}
    )


def _cloned(zone: Zone) -> Operation:
    """A cloned plate read in Sichuan then in Chongqing: owned by Chongqing; Sichuan's read goes to
    Chongqing under cy-2024-sc-cq, which says seal."""
    t0 = NOW.timestamp() - 3600
    evidence = tuple(
        Seen(str(uuid.uuid4()), "川A12345", "blue", region, "K1", t0 + t)
        for region, t in ((SC, 0), (CQ, 1200))
    )
    return build_operation(
        Firing(EscalationTrigger.CLONED_PLATE, evidence, "too fast at K1"), zone, RULES, NOW
    )


def _split(out: list[Outgoing]) -> tuple[dict[str, bytes], list[AuditRecord]]:
    raw = {o.topic.rsplit(".", 1)[1]: o.value or b"" for o in out if o.topic.startswith(CAT.out_prefix)}
    return raw, [decode(o.value or b"", AuditRecord) for o in out if o.topic == CAT.audit]


def _opened(raw: bytes, region: str) -> Delivery:
    return open_delivery(decode(raw, Delivery), lambda key_id: PRIVATE[region])


def test_an_operation_and_its_closing_are_sealed_to_every_region_given_them() -> None:
    zone = _zone()
    op = _cloned(zone)
    out, _ = deliver(CAT, zone, op, NOW)
    raw, audits = _split(out)
    assert set(raw) == {SC, CQ}
    for region, body in raw.items():
        assert b"12345" not in body and b"too fast" not in body
        opened = _opened(body, region).operation
        assert opened is not None and opened.plate == "川A12345"
    assert all(a.sealed_to and a.plates == () and "too fast" not in (a.detail or "") for a in audits)
    inbox = [o.value or b"" for o in out if o.topic == CAT.control_inbox]
    assert len(inbox) == 2 and all(b"12345" not in v for v in inbox)
    cmd = OperationClose(
        close_id=close_id(op.operation_id, CQ, "confirmed"), operation_id=op.operation_id, region=CQ,
        outcome=OperationOutcome.CONFIRMED, note="plates seized", at=NOW,
    )  # fmt: skip
    kept = close(Kept(op, (SC, CQ), NOW.timestamp()), cmd, NOW)
    assert kept is not None
    closing, _ = closing_deliveries(CAT, zone, kept, NOW)
    raw, audits = _split(closing)
    for region, body in raw.items():
        assert b"seized" not in body and b"12345" not in body
        closure = _opened(body, region).closure
        assert closure is not None and closure.note == "plates seized"
    assert len(audits) == 2 and all(a.sealed_to and a.plates == () for a in audits)


def test_a_region_the_operation_must_be_sealed_to_without_a_key_gets_nothing() -> None:
    zone = _zone(keys=(SC,))
    out, refusals = deliver(CAT, zone, _cloned(zone), NOW)
    raw, audits = _split(out)
    assert set(raw) == {SC} and refusals == {"no_seal_key": 1}
    refused = next(a for a in audits if a.recipient == CQ)
    assert refused.decision == Decision.REFUSED and refused.reason == AuditReason.NO_SEAL_KEY
    assert refused.plates == () and refused.purpose is None


def test_a_temporary_agreement_match_is_sealed_or_refused_like_a_standing_one() -> None:
    m: Any = match()
    member = "500153"
    d = Disclosure(member, AuditReason.TEMPORARY_AGREEMENT, "ta-1", "investigation", seal=True)
    out = flow_outputs(CAT, _zone(keys=(SC, CQ, member)), m, [d], "op-1", NOW)
    raw, (audit,) = _split(out)
    assert m.hit.plate.encode() not in raw[member] and audit.sealed_to and audit.plates == ()
    opened = _opened(raw[member], member).match
    assert opened is not None and opened.plate == m.hit.plate
    out = flow_outputs(CAT, _zone(), m, [d], "op-1", NOW)
    raw, (audit,) = _split(out)
    assert raw == {} and audit.reason == AuditReason.NO_SEAL_KEY and audit.plates == ()


def test_a_region_reader_opens_sealed_operations_and_says_why_it_cannot(tmp_path: Path) -> None:
    zone = _zone()
    op = _cloned(zone)
    raw, _ = _split(deliver(CAT, zone, op, NOW)[0])
    sealed = decode(raw[CQ], Delivery)
    known = fold([opened(sealed, lambda key_id: PRIVATE[CQ])])
    assert known[op.operation_id].operation.plate == "川A12345"
    with pytest.raises(OpenError, match="no key store was given"):
        opened(sealed, None)
    with pytest.raises(OpenError, match="not held here"):
        opened(sealed, SealKeyLookup(KeyStore(tmp_path), CQ))  # an empty store: no crash, a reason


def _blind_crossing(zone: Zone, blind: bool) -> Operation:
    """A watchlisted vehicle of Sichuan's read in Sichuan then in Chongqing (its entry blind or not)."""
    t0 = NOW.timestamp() - 3600
    evidence = tuple(
        Seen(
            str(uuid.uuid4()), "川A12345", "blue", region, "K1", t0 + t,
            entry_id=str(uuid.uuid4()), owner=SC, category="stolen_vehicle", priority="high", blind=blind,
        )
        for region, t in ((SC, 0), (CQ, 1200))
    )  # fmt: skip
    return build_operation(Firing(EscalationTrigger.MULTI_REGION, evidence, "two regions"), zone, RULES, NOW)


def test_an_operation_on_a_blind_entrys_matches_is_sealed_to_all_or_refused_where_no_key() -> None:
    base = load_zone_file(EXAMPLE_ZONE)  # no agreement of it seals
    both = base.model_copy(update={"keys": tuple(public_record(r, PRIVATE[r], SINCE) for r in (SC, CQ))})
    clear, _ = deliver(CAT, both, _blind_crossing(both, blind=False), NOW)
    assert all(b"12345" in body for body in _split(clear)[0].values())  # the flag makes the difference
    op = _blind_crossing(both, blind=True)
    assert op.blind
    out, refusals = deliver(CAT, both, op, NOW)
    raw, audits = _split(out)
    assert set(raw) == {SC, CQ} and not refusals
    assert all(b"12345" not in body and _opened(body, region).operation == op for region, body in raw.items())
    assert all(a.sealed_to and a.plates == () for a in audits)
    only_sc = base.model_copy(update={"keys": (public_record(SC, PRIVATE[SC], SINCE),)})
    out, refusals = deliver(CAT, only_sc, _blind_crossing(only_sc, blind=True), NOW)
    raw, audits = _split(out)
    assert set(raw) == {SC} and refusals == {"no_seal_key": 1}
    assert all(b"12345" not in (o.value or b"") for o in out)


def test_a_seen_row_keeps_blind_and_a_row_from_before_it_reads_as_not_blind() -> None:
    seen = Seen("e", "川A12345", "", SC, "K1", 1.0, "id", SC, "stolen_vehicle", "high", blind=True)
    assert Seen.from_row(seen.row()) == seen
    assert Seen.from_row(seen.row()[:11]).blind is False
    assert Seen.of_match(match(blind=True)).blind and not Seen.of_match(match()).blind
