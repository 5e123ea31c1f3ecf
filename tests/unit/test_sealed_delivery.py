"""Sealed deliveries: the hot path seals where the agreement says so, only the recipient's key opens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import x25519

from connectors.centre_sink.logic import opened_body
from ops.keys import KeyStore, SealKeyLookup
from ops.zone import load_zone_file
from schemas.audit import AuditReason, AuditRecord
from schemas.codec import decode
from schemas.crypto import OpenError, generate_private, public_record
from schemas.delivery import Delivery
from schemas.keys import KeyPurpose
from schemas.sealed_delivery import open_delivery, seal_delivery
from schemas.topics import Catalogue
from schemas.zone import Zone
from streams.hotpath.pipeline import HitPipeline, Outgoing
from streams.hotpath.watchlist_state import WatchlistState
from tests.support.records import Rec
from tests.unit.models_factories import entry, hit_data

CHUANYU = load_zone_file(Path(__file__).parents[2] / "ops" / "zones" / "chuanyu.yaml")
CAT = Catalogue("rax")
NOW = datetime(2024, 5, 1, 0, 30, 5, tzinfo=UTC)
PLATE = "川A12345"
LUXIAN_KEY = x25519.X25519PrivateKey.generate()
RONGCHANG_KEY = x25519.X25519PrivateKey.generate()


def _zone(*, sealed: str = "rc-lx-joint-office", with_key: bool = True, owner_key: bool = False) -> Zone:
    agreements = tuple(
        a.model_copy(update={"seal": True}) if a.agreement_id == sealed else a for a in CHUANYU.agreements
    )
    since = datetime(2024, 1, 1, tzinfo=UTC)
    keys = (public_record("510521", LUXIAN_KEY, since),) if with_key else ()
    keys += (public_record("500153", RONGCHANG_KEY, since),) if owner_key else ()
    return Zone.model_validate({**CHUANYU.model_dump(), "agreements": agreements, "keys": keys})


def _run(zone: Zone) -> list[Outgoing]:
    state = WatchlistState()
    state.upsert(
        entry(entry_id=str(uuid.uuid4()), owner="500153", plate=PLATE, scope=[], category="fugitive")
    )
    data = hit_data(event_id=str(uuid.uuid4()), region="510521", plate=PLATE, checkpoint_id="510521-K1")
    hit = Rec(CAT.in_hits("510521"), orjson.dumps(data), _key=PLATE.encode())
    return HitPipeline(CAT, state, lambda: zone).process([hit], NOW).out


def _values(out: list[Outgoing], topic: str) -> list[bytes]:
    return [o.value or b"" for o in out if o.topic == topic]


def _lookup(key_id: str) -> x25519.X25519PrivateKey | None:
    return LUXIAN_KEY


def test_a_sealing_agreement_hides_the_plate_from_the_out_topic_and_the_audit() -> None:
    out = _run(_zone())
    (raw,) = _values(out, CAT.out("510521"))
    assert PLATE.encode() not in raw and b"A12345" not in raw
    sealed = decode(raw, Delivery)
    assert sealed.match is None and sealed.sealed is not None and sealed.agreement_id == "rc-lx-joint-office"
    opened = open_delivery(sealed, _lookup)
    assert opened.match is not None and opened.match.plate == PLATE and opened.sealed is None
    audits = [decode(v, AuditRecord) for v in _values(out, CAT.audit)]
    to_luxian = next(a for a in audits if a.recipient == "510521")
    assert to_luxian.sealed_to == sealed.sealed.key_id and to_luxian.plates == ()
    sealed_audit = [v for v in _values(out, CAT.audit) if sealed.delivery_id.encode() in v]
    assert len(sealed_audit) == 1 and PLATE.encode() not in sealed_audit[0]
    assert all(PLATE.encode() not in v for v in _values(out, CAT.control_inbox))
    # the owner published no seal key: its own copy (under no agreement) stays readable to it
    (own,) = [decode(v, Delivery) for v in _values(out, CAT.out("500153"))]
    assert own.sealed is None and own.match is not None


def test_the_owners_copy_of_a_sealed_match_is_sealed_too_when_it_has_a_key() -> None:
    out = _run(_zone(owner_key=True))
    for region in ("500153", "510521"):
        (raw,) = _values(out, CAT.out(region))
        assert PLATE.encode() not in raw
    for raw in _values(out, CAT.audit):
        assert PLATE.encode() not in raw
    (own,) = [decode(v, Delivery) for v in _values(out, CAT.out("500153"))]
    opened = open_delivery(own, lambda key_id: RONGCHANG_KEY)
    assert opened.match is not None and opened.match.plate == PLATE


def test_without_a_seal_key_for_the_recipient_the_disclosure_is_refused_not_sent_in_clear() -> None:
    out = _run(_zone(with_key=False))
    assert _values(out, CAT.out("510521")) == []
    audits = [decode(v, AuditRecord) for v in _values(out, CAT.audit)]
    refused = next(a for a in audits if a.recipient == "510521")
    assert refused.reason == AuditReason.NO_SEAL_KEY and refused.decision.value == "refused"
    assert refused.agreement_id == "rc-lx-joint-office"


def test_an_agreement_without_seal_delivers_in_clear() -> None:
    out = _run(_zone(sealed="none"))
    (d,) = [decode(v, Delivery) for v in _values(out, CAT.out("510521"))]
    assert d.sealed is None and d.match is not None and d.match.plate == PLATE


def _sealed() -> Delivery:
    return decode(_values(_run(_zone()), CAT.out("510521"))[0], Delivery)


def test_only_the_recipients_key_opens_it() -> None:
    sealed = _sealed()
    with pytest.raises(OpenError, match="not held here"):
        open_delivery(sealed, lambda key_id: None)
    with pytest.raises(OpenError):
        open_delivery(sealed, lambda key_id: generate_private(KeyPurpose.SEAL))


@pytest.mark.parametrize("change", [{"owner": "510521"}, {"kind": "alert"}])
def test_changed_routing_fields_do_not_open(change: dict[str, Any]) -> None:
    sealed = _sealed()
    data = {**orjson.loads(sealed.model_dump_json()), **change}
    if change.get("kind") == "alert":
        data["kind"] = "alert"
    moved = Delivery.model_validate(data)
    with pytest.raises(OpenError):
        open_delivery(moved, _lookup)


def test_an_envelope_moved_into_another_delivery_does_not_open() -> None:
    first, second = _sealed(), _sealed()
    assert second.sealed is not None
    moved = first.model_copy(update={"sealed": second.sealed})
    with pytest.raises(OpenError):
        open_delivery(moved, _lookup)


def test_a_sealed_delivery_carries_no_payload_in_clear_and_only_its_recipients_envelope() -> None:
    sealed = _sealed()
    clear = open_delivery(sealed, _lookup)
    with pytest.raises(ValueError, match="no payload in clear"):
        Delivery.model_validate({**orjson.loads(sealed.model_dump_json()), "match": clear.match})
    other = public_record("500153", generate_private(KeyPurpose.SEAL), datetime(2024, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="seal key"):
        seal_delivery(clear, other)


def test_the_centre_sink_posts_a_sealed_delivery_opened_and_others_unchanged() -> None:
    sealed = _sealed()
    raw = sealed.model_dump_json().encode()
    body = opened_body(raw, _lookup)
    assert decode(body, Delivery) == open_delivery(sealed, _lookup)
    assert PLATE.encode() in body
    clear = open_delivery(sealed, _lookup).model_dump_json().encode()
    assert opened_body(clear, None) is clear
    with pytest.raises(OpenError, match="no key store"):
        opened_body(raw, None)
    with pytest.raises(OpenError, match="not held"):
        opened_body(raw, lambda key_id: None)


def test_a_seal_key_rotation_mid_stream_loses_nothing(tmp_path: Path) -> None:
    """Deliveries sealed before a rotation still open with the retired key, those after use the new one."""
    store = KeyStore(tmp_path / "keys")
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    store.create("510521", t0)
    agreements = tuple(
        a.model_copy(update={"seal": True}) if a.agreement_id == "rc-lx-joint-office" else a
        for a in CHUANYU.agreements
    )

    def zone_now() -> Zone:  # the zone as `rax keys export` + `rax zone apply` publish it after each step
        return Zone.model_validate(
            {**CHUANYU.model_dump(), "agreements": agreements, "keys": store.keys("510521")}
        )

    before = decode(_values(_run(zone_now()), CAT.out("510521"))[0], Delivery)
    store.rotate("510521", NOW - timedelta(minutes=1), timedelta(days=7))
    after = decode(_values(_run(zone_now()), CAT.out("510521"))[0], Delivery)
    assert before.sealed is not None and after.sealed is not None
    assert before.sealed.key_id != after.sealed.key_id  # the newest valid key is used from the rotation on
    lookup = SealKeyLookup(store, "510521")
    for d in (before, after):
        opened = open_delivery(d, lookup)
        assert opened.match is not None and opened.match.plate == PLATE


def test_an_envelope_naming_the_regions_sign_key_is_not_opened_and_stops_no_reader(tmp_path: Path) -> None:
    """The key id comes from the record: one of the region's sign key ids (public, in the zone) must read
    as a key not held, an ``OpenError`` every reader handles, not a store error that stops the sink."""
    store = KeyStore(tmp_path / "keys")
    store.create("510521", datetime(2024, 1, 1, tzinfo=UTC))
    sign = next(k for k in store.keys("510521") if k.purpose is KeyPurpose.SIGN)
    sealed = _sealed()
    assert sealed.sealed is not None
    moved = sealed.model_copy(update={"sealed": sealed.sealed.model_copy(update={"key_id": sign.key_id})})
    lookup = SealKeyLookup(store, "510521")
    assert lookup(sign.key_id) is None
    with pytest.raises(OpenError, match="not held"):
        opened_body(moved.model_dump_json().encode(), lookup)
