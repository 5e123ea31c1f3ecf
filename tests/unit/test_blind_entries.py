"""Blind entries: tokens instead of plates, matched by the hot path, details opened only by the partner."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import x25519
from pydantic import ValidationError

from ops.zone import load_zone_file
from schemas.audit import AuditRecord
from schemas.blind import dump_matching_keys, load_matching_keys, new_matching_key
from schemas.blind_entries import details_aad, make_blind, open_entry_details, with_entry_details
from schemas.codec import decode, encode
from schemas.crypto import OpenError, public_record, seal
from schemas.delivery import Delivery
from schemas.matching import Match
from schemas.plates.lookalikes import LOOKALIKE_CLASSES
from schemas.sealed_delivery import open_delivery
from schemas.topics import Catalogue
from schemas.watchlist import WatchlistEntry
from schemas.zone import Zone
from streams.hotpath.pipeline import HitPipeline, Outgoing
from streams.hotpath.watchlist_state import WatchlistState
from tests.support.records import Rec
from tests.unit.models_factories import entry, hit_data

CHUANYU = load_zone_file(Path(__file__).parents[2] / "ops" / "zones" / "chuanyu.yaml")
CAT = Catalogue("rax")
NOW = datetime(2024, 5, 1, 0, 30, 5, tzinfo=UTC)
T0 = datetime(2024, 1, 1, tzinfo=UTC)
PLATE = "川A12345"
KEY = new_matching_key(T0)
PRIVATE = {"500153": x25519.X25519PrivateKey.generate(), "510521": x25519.X25519PrivateKey.generate()}


def _zone(*regions: str) -> Zone:
    keys = tuple(public_record(r, PRIVATE[r], T0) for r in regions)
    return Zone.model_validate({**CHUANYU.model_dump(), "keys": keys})


ZONE = _zone("500153", "510521")


def _lookup(region: str) -> Any:
    return lambda key_id: PRIVATE[region]


def _blind(plate: str = PLATE, tolerance: int = 1, zone: Zone = ZONE, **over: Any) -> WatchlistEntry:
    clear = entry(
        entry_id=str(uuid.uuid4()), owner="500153", plate=plate, scope=[], category="fugitive",
        tolerance=tolerance, description="白色丰田 右后门凹陷", plate_colour=None, **over,
    )  # fmt: skip
    return make_blind(clear, KEY, zone, NOW)


def _run(
    e: WatchlistEntry,
    read: str,
    zone: Zone = ZONE,
    keys: tuple[Any, ...] = (KEY,),
    blind_to_matches: bool = False,
) -> list[Outgoing]:
    state = WatchlistState()
    state.apply(e.entry_id.encode(), encode(e))  # as from the compacted topic
    data = hit_data(event_id=str(uuid.uuid4()), region="510521", plate=read, checkpoint_id="510521-K1")
    hit = Rec(CAT.in_hits("510521"), orjson.dumps(data), _key=read.encode())
    pipeline = HitPipeline(CAT, state, lambda: zone, matching_keys=keys, blind_to_matches=blind_to_matches)
    return pipeline.process([hit], NOW).out


def _on(out: list[Outgoing], topic: str) -> list[bytes]:
    return [o.value or b"" for o in out if o.topic == topic]


def test_a_blind_entry_carries_no_plate_nor_description_in_clear() -> None:
    e = _blind()
    raw = encode(e)
    assert e.plate is None and e.blind is not None and len(e.blind.misread_1) == 64 and not e.blind.misread_2
    assert PLATE.encode() not in raw and b"A12345" not in raw and "丰田".encode() not in raw
    # details sealed to the partner the joint-office agreement entitles (the owner needs none)
    assert [d.recipient for d in e.sealed_details] == ["510521"]


def test_an_exact_read_matches_and_every_delivery_is_sealed_the_owners_too() -> None:
    e = _blind()
    out = _run(e, PLATE)
    assert _on(out, CAT.matches) == []  # a blind match stays off rax.matches (it is not sealed at rest)
    # with rax.matches sealed at rest, the escalate processor gets it, marked blind
    (sent,) = _on(_run(e, PLATE, blind_to_matches=True), CAT.matches)
    assert decode(sent, Match).blind and decode(sent, Match).description is None  # sealed to partners
    for region in ("500153", "510521"):
        (raw,) = _on(out, CAT.out(region))
        assert PLATE.encode() not in raw and b"A12345" not in raw
        opened = open_delivery(decode(raw, Delivery), _lookup(region))
        assert opened.match is not None and opened.match.kind.value == "exact" and opened.match.plate == PLATE
    partner = open_delivery(decode(_on(out, CAT.out("510521"))[0], Delivery), _lookup("510521"))
    details = open_entry_details(partner, _lookup("510521"))
    assert details == {"plate": PLATE, "tolerance": 1, "description": "白色丰田 右后门凹陷"}
    shown = with_entry_details(partner, _lookup("510521")).match  # what the tail, sink and console show
    assert shown is not None and (shown.matched_plate, shown.description) == (PLATE, "白色丰田 右后门凹陷")
    for raw in (*_on(out, CAT.audit), *_on(out, CAT.control_inbox)):
        assert PLATE.encode() not in raw and b"A12345" not in raw
    audits = [decode(v, AuditRecord) for v in _on(out, CAT.audit)]
    assert {a.decision.value for a in audits} == {"disclosed"} and all(a.sealed_to for a in audits)


def test_a_reader_shows_a_blind_misreads_entry_plate_for_the_token_when_it_holds_the_key() -> None:
    read = _lookalike_misreads(PLATE, 1)[0]
    (raw,) = _on(_run(_blind(), read), CAT.out("510521"))
    partner = open_delivery(decode(raw, Delivery), _lookup("510521"))
    assert partner.match is not None and partner.match.matched_plate.startswith("blind:")
    shown = with_entry_details(partner, _lookup("510521")).match
    assert shown is not None and (shown.kind.value, shown.plate, shown.matched_plate) == (
        "misread",
        read,
        PLATE,
    )
    assert shown.description == "白色丰田 右后门凹陷"
    assert with_entry_details(partner, lambda key_id: None) == partner  # a key not held: the token


def _lookalike_misreads(plate: str, edits: int) -> list[str]:
    """Every read of ``plate`` with ``edits`` characters replaced by a look-alike (a few provinces)."""
    classes = {ch: members for members in (*LOOKALIKE_CLASSES, "川渝京津冀晋") for ch in members}
    reads = []
    for positions in itertools.combinations(range(len(plate)), edits):
        options = [[c for c in classes.get(plate[i], "") if c != plate[i]] for i in positions]
        for subs in itertools.product(*options):
            chars = list(plate)
            for i, c in zip(positions, subs, strict=True):
                chars[i] = c
            reads.append("".join(chars))
    return reads


@pytest.mark.parametrize("plate", ["川A12345", "渝B8Z0D6", "川AD12345"])
def test_blind_recall_equals_clear_recall_for_lookalike_misreads(plate: str) -> None:
    clear_state, blind_state = WatchlistState(), WatchlistState()
    clear = entry(
        entry_id=str(uuid.uuid4()), owner="500153", plate=plate, scope=[], tolerance=2, plate_colour=None
    )
    blind = make_blind(clear, KEY, ZONE, NOW)
    clear_state.upsert(clear)
    blind_state.upsert(blind)
    blind_state.blind.use((KEY,))
    t = NOW.timestamp()
    reads = _lookalike_misreads(plate, 1) + _lookalike_misreads(plate, 2)
    assert reads
    for read in [plate, *reads]:
        try:
            from schemas.plates import read_plate

            normal = read_plate(read).text
        except ValueError:
            continue  # not a plausible read at all: a connector would not send it
        by_clear = [(r.kind, r.edits) for r, _ in clear_state.match(normal, None, t)]
        by_blind = [(r.kind, r.edits) for r, _ in blind_state.match_blind(normal, None, t)]
        assert by_clear == by_blind, f"{read}: clear {by_clear}, blind {by_blind}"


def test_another_plate_does_not_match_and_a_matcher_without_the_key_matches_nothing() -> None:
    e = _blind()
    assert _on(_run(e, "川A12346"), CAT.out("510521")) == []
    assert _on(_run(e, PLATE, keys=(new_matching_key(T0),)), CAT.out("500153")) == []


def test_an_exact_only_blind_entry_does_not_match_a_misread() -> None:
    e = _blind(tolerance=0)
    assert e.blind is not None and e.blind.misread_1 == ()
    assert _on(_run(e, "川A1234S"), CAT.out("500153")) == []
    assert len(_on(_run(e, PLATE), CAT.out("500153"))) == 1
    assert len(_on(_run(_blind(), "川A1234S"), CAT.out("500153"))) == 1


def test_without_a_seal_key_a_blind_match_is_refused_for_that_region_not_sent_in_clear() -> None:
    zone = _zone("510521")  # the owner published no seal key
    out = _run(_blind(zone=zone), PLATE, zone=zone)
    assert _on(out, CAT.out("500153")) == []
    assert len(_on(out, CAT.out("510521"))) == 1
    refused = [decode(v, AuditRecord) for v in _on(out, CAT.audit)]
    assert {(a.recipient, a.reason.value) for a in refused} >= {("500153", "no_seal_key")}


def test_no_audit_record_of_a_blind_match_names_its_plate_refusals_included() -> None:
    # read in 重庆 (500000): no agreement lets the owner 荣昌 or 重庆 see it, so it is refused to both
    e = _blind()
    state = WatchlistState()
    state.apply(e.entry_id.encode(), encode(e))
    data = hit_data(event_id=str(uuid.uuid4()), region="500000", plate=PLATE, checkpoint_id="500000-K1")
    hit = Rec(CAT.in_hits("500000"), orjson.dumps(data), _key=PLATE.encode())
    out = HitPipeline(CAT, state, lambda: ZONE, matching_keys=(KEY,)).process([hit], NOW).out
    audits = [decode(v, AuditRecord) for v in _on(out, CAT.audit)]
    assert {(a.recipient, a.reason.value) for a in audits} >= {("500153", "no_agreement")}
    assert all(a.plates == () for a in audits)
    assert not any(PLATE.encode() in raw or b"A12345" in raw for raw in _on(out, CAT.audit))


def test_partial_plates_cannot_be_blind_and_an_entry_is_plate_or_blind() -> None:
    with pytest.raises(ValueError, match="partial"):
        _blind(plate="川A?23*")
    e = _blind()
    with pytest.raises(ValidationError, match="exactly one"):
        WatchlistEntry.model_validate({**e.model_dump(), "plate": PLATE})


def test_a_matching_key_file_round_trips_and_hides_its_secret_in_reprs() -> None:
    data = dump_matching_keys([KEY])
    assert load_matching_keys(data) == (KEY,)
    assert KEY.secret.get_secret_value() not in repr(KEY)


@pytest.mark.parametrize(
    "body", [b'"a string"', b"[1, 2]", b'{"plate": 5}', b"not json", b'{"description": []}']
)
def test_entry_details_that_are_not_a_plate_and_description_are_refused_not_a_readers_crash(
    body: bytes,
) -> None:
    """The owner seals the details (another region): what opens must still be checked before it is shown."""
    e = _blind()
    (raw,) = _on(_run(e, PLATE), CAT.out("510521"))
    partner = open_delivery(decode(raw, Delivery), _lookup("510521"))
    aad = details_aad(e.entry_id, "510521")
    public = PRIVATE["510521"].public_key()
    kid = next(k.key_id for k in ZONE.keys if k.region == "510521")
    crafted = partner.model_copy(
        update={"entry_details": seal(body, public, recipient="510521", key_id=kid, aad=aad)}
    )
    with pytest.raises(OpenError, match="not an entry's details"):
        open_entry_details(crafted, _lookup("510521"))
    assert with_entry_details(crafted, _lookup("510521")) == crafted  # shown with the token, as unopened


def test_a_description_the_delivery_must_redact_is_not_forwarded_in_the_entry_details() -> None:
    """The details were sealed under the agreement of the placing time; the match is disclosed under the
    redactions of now (both sides'): once those remove the description, the details must not carry it."""
    e = _blind()
    redacting = tuple(
        a.model_copy(update={"redact": (*a.redact, "description")})
        if (a.owner, a.recipient) == ("500153", "510521")
        else a
        for a in ZONE.agreements
    )
    later = Zone.model_validate({**ZONE.model_dump(), "agreements": redacting})
    (raw,) = _on(_run(e, PLATE, zone=later), CAT.out("510521"))
    partner = open_delivery(decode(raw, Delivery), _lookup("510521"))
    assert partner.match is not None and partner.match.description is None
    details = open_entry_details(partner, _lookup("510521")) or {}
    assert "description" not in details
    shown = with_entry_details(partner, _lookup("510521")).match
    assert shown is not None and shown.description is None and "丰田".encode() not in encode(shown)
