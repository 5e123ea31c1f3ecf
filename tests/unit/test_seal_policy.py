"""The one sealing rule (``schemas.seal_policy``) and its use by the control app's alerts and requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from ops.zone import load_zone_file
from schemas.alert_signatures import sign_alert, verify_alert
from schemas.audit import AuditReason, AuditRecord
from schemas.codec import decode, encode
from schemas.crypto import public_record
from schemas.delivery import Delivery
from schemas.delivery_notice import DeliveryNotice
from schemas.disclosure import Disclosure
from schemas.seal_policy import agreement_seals, seal_decisions
from schemas.sealed_delivery import open_delivery
from schemas.topics import Catalogue
from schemas.zone import Zone
from streams.control.alerts.logic import process_alert
from streams.control.common import Output
from streams.control.requests.logic import Refused, process_requests_record
from tests.support.requests import answer, request
from tests.unit.models_factories import alert

CHUANYU = load_zone_file(Path(__file__).resolve().parents[2] / "ops" / "zones" / "chuanyu.yaml")
CAT = Catalogue("t")
NOW = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
SINCE = datetime(2024, 1, 1, tzinfo=UTC)
PRIVATE = {r: x25519.X25519PrivateKey.generate() for r in ("510521", "500153", "510000")}
LX, RC, SC = "510521", "500153", "510000"


def _zone(*sealed: str, keys: tuple[str, ...] = (LX, RC)) -> Zone:
    agreements = [a.model_copy(update={"seal": a.agreement_id in sealed}) for a in CHUANYU.agreements]
    records = [public_record(r, PRIVATE[r], SINCE).model_dump(mode="json") for r in keys]
    return Zone.model_validate({**CHUANYU.model_dump(mode="json"), "agreements": agreements, "keys": records})


def _agreed(recipient: str, agreement: str = "x", *, seal: bool = False) -> Disclosure:
    return Disclosure(recipient, AuditReason.AGREEMENT, agreement, "investigation", seal=seal)


def _own(region: str) -> Disclosure:
    return Disclosure(region, AuditReason.OWNER)


# --- the rule ----------------------------------------------------------------------------------------


def test_nothing_sealed_when_no_agreement_says_so() -> None:
    out = seal_decisions(_zone(), [_own(LX), _agreed(RC)], NOW)
    assert [(d.recipient, d.reason, k) for d, k in out] == [(LX, "owner", None), (RC, "agreement", None)]


def test_a_sealing_agreement_seals_to_the_current_key_and_the_owner_copy_too() -> None:
    out = {d.recipient: (d, k) for d, k in seal_decisions(_zone(), [_own(LX), _agreed(RC, seal=True)], NOW)}
    rc_key, lx_key = out[RC][1], out[LX][1]
    assert rc_key is not None and rc_key.region == RC and out[RC][0].disclosed
    assert lx_key is not None and lx_key.region == LX and out[LX][0].seal


def test_no_key_fails_closed_and_a_keyless_copy_not_asked_to_seal_stays_clear() -> None:
    zone = _zone(keys=(LX,))
    out = {
        d.recipient: (d, k)
        for d, k in seal_decisions(zone, [_agreed(RC, seal=True), _agreed(SC), _own(LX)], NOW)
    }
    refused, key = out[RC]
    assert key is None and refused.reason == AuditReason.NO_SEAL_KEY and not refused.disclosed
    assert refused.purpose is None and refused.redact == () and refused.agreement_id == "x"
    assert out[SC] == (_agreed(SC), None)  # no key, its agreement does not seal: clear
    assert out[LX][1] is not None  # holds a key: sealed with the rest


def test_seal_all_seals_every_copy_or_refuses_it() -> None:
    out = {
        d.recipient: (d, k)
        for d, k in seal_decisions(_zone(keys=(LX,)), [_own(LX), _agreed(SC)], NOW, seal_all=True)
    }
    assert out[LX][1] is not None
    assert out[SC][0].reason == AuditReason.NO_SEAL_KEY and out[SC][1] is None


def test_sealed_elsewhere_seals_key_holders_and_refusals_pass_through() -> None:
    refused = Disclosure(SC, AuditReason.NO_AGREEMENT)
    out = seal_decisions(_zone(), [_agreed(RC), refused], NOW, sealed_elsewhere=True)
    assert out[0][1] is not None and out[1] == (refused, None)


def test_a_key_not_yet_or_no_longer_valid_is_no_key() -> None:
    later = NOW + timedelta(days=1)
    key = public_record(RC, PRIVATE[RC], later).model_dump(mode="json")
    zone = Zone.model_validate(
        {**_zone("rc-lx-joint-office", keys=()).model_dump(mode="json"), "keys": [key]}
    )
    ((d, k),) = seal_decisions(zone, [_agreed(RC, seal=True)], NOW)
    assert k is None and d.reason == AuditReason.NO_SEAL_KEY


def test_agreement_seals_looks_the_named_agreements_up() -> None:
    zone = _zone("lx-rc-joint-office")
    assert agreement_seals(zone, None, "lx-rc-joint-office") and not agreement_seals(
        zone, "rc-lx-joint-office"
    )
    assert not agreement_seals(zone, None) and not agreement_seals(zone, "gone")


# --- alerts ------------------------------------------------------------------------------------------

HEADLINE = "泸县被盗蓝色小型车"


def _alert_outputs(zone: Zone, **over: Any) -> list[Output]:
    a = alert(target_regions=[RC], **over)
    result = process_alert(encode(a), LX, zone=zone, catalogue=CAT, now=NOW, messages={}, threads={})
    return result.outputs


def _values(outputs: list[Output], topic: str) -> list[bytes]:
    return [o.value for o in outputs if o.topic == topic and o.value]


def _lookup(region: str) -> Any:
    return lambda key_id: PRIVATE[region]


def test_a_sealed_alert_is_ciphertext_for_every_key_holder_and_its_audit_has_no_plate() -> None:
    out = _alert_outputs(_zone("lx-rc-joint-office"))
    for region in (LX, RC):
        (raw,) = _values(out, CAT.out(region))
        assert HEADLINE.encode() not in raw and b"12345" not in raw
        opened = open_delivery(decode(raw, Delivery), _lookup(region))
        assert opened.alert is not None and opened.alert.info[0].headline == HEADLINE
    audits = [decode(v, AuditRecord) for v in _values(out, CAT.audit)]
    disclosed = [a for a in audits if a.decision == "disclosed"]
    assert len(disclosed) == 2 and all(a.sealed_to and a.plates == () for a in disclosed)
    notices = [o.notice for o in out if o.notice]
    assert notices and all(b"12345" not in n and HEADLINE.encode() not in n for n in notices)
    assert {decode(n, DeliveryNotice).recipient for n in notices} == {LX, RC}


def test_an_unsealed_alert_keeps_the_fast_path_records() -> None:
    out = _alert_outputs(_zone())
    (raw,) = _values(out, CAT.out(RC))
    assert decode(raw, Delivery).alert is not None
    assert all(orjson.loads(v)["plates"] for v in _values(out, CAT.audit))


def test_a_sealed_alert_to_a_region_without_a_key_fails_closed() -> None:
    out = _alert_outputs(_zone("lx-rc-joint-office", keys=(LX,)))
    assert _values(out, CAT.out(RC)) == []
    audits = [decode(v, AuditRecord) for v in _values(out, CAT.audit)]
    refusal = next(a for a in audits if a.recipient == RC)
    assert (
        refusal.reason == AuditReason.NO_SEAL_KEY and refusal.decision == "refused" and refusal.plates == ()
    )
    # the owner's copy is sealed anyway: it holds a key and the alert is sealed for somebody
    (own,) = _values(out, CAT.out(LX))
    assert decode(own, Delivery).sealed is not None


# --- requests ----------------------------------------------------------------------------------------


def _process(zone: Zone, msg: Any, region: str, requests: dict[str, Any]) -> Any:
    return process_requests_record(
        encode(msg), region, requests, key=msg.request_id, zone=zone, catalogue=CAT,
        now=datetime.now(UTC), received=datetime.now(UTC), bounds=zone.times,
    )  # fmt: skip


def test_a_sealed_request_and_its_answer_are_ciphertext_and_their_audits_hold_no_clear_data() -> None:
    zone = _zone("lx-rc-joint-office")
    req = request(LX, RC)
    result = _process(zone, req, LX, {})
    for region in (LX, RC):
        (raw,) = _values(result.outputs, CAT.out(region))
        assert req.plate is not None and req.plate.encode() not in raw and b"white SUV" not in raw
        opened = open_delivery(decode(raw, Delivery), _lookup(region))
        assert opened.request is not None and opened.request.plate == req.plate
    assert all(b"12345" not in v for v in _values(result.outputs, CAT.audit))
    ans = answer(req, RC, "answered")
    done = _process(zone, ans, RC, {req.request_id: result.state})
    for region in (LX, RC):
        (raw,) = _values(done.outputs, CAT.out(region))
        assert b"K12" not in raw
        opened = open_delivery(decode(raw, Delivery), _lookup(region))
        assert opened.answer is not None and opened.answer.text == ans.text
    (audit,) = [decode(v, AuditRecord) for v in _values(done.outputs, CAT.audit)]
    assert audit.sealed_to and audit.plates == () and "K12" not in (audit.detail or "")


def test_a_request_a_sealed_thread_cannot_reach_is_refused_whole() -> None:
    with pytest.raises(Refused) as refused:
        _process(_zone("rc-lx-joint-office", keys=(RC,)), request(LX, RC), LX, {})  # answers need 泸县's key
    (audit,) = [decode(o.value or b"", AuditRecord) for o in refused.value.audits]
    assert audit.reason == AuditReason.NO_SEAL_KEY and audit.refused_by == "read" and audit.plates == ()


def test_a_signed_alert_still_verifies_once_its_sealed_delivery_is_opened() -> None:
    signer = ed25519.Ed25519PrivateKey.generate()
    record = public_record(LX, signer, SINCE)
    signed = sign_alert(alert(target_regions=[RC], sent=datetime.now(UTC) - timedelta(seconds=1)), signer)
    now = datetime.now(UTC)
    zone = _zone("lx-rc-joint-office")
    result = process_alert(encode(signed), LX, zone=zone, catalogue=CAT, now=now, messages={}, threads={})
    (raw,) = _values(result.outputs, CAT.out(RC))
    opened = open_delivery(decode(raw, Delivery), _lookup(RC)).alert
    assert opened is not None and verify_alert(opened, [record]).status == "valid"
