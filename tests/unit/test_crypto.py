"""Sealing, signatures, record MACs and blind plate tokens (``schemas.crypto``): what each must refuse."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519

from schemas.crypto import (
    KeyMaterialError,
    OpenError,
    fold_lookalikes,
    generate_private,
    load_private_pem,
    open_sealed,
    plate_token,
    private_pem,
    public_record,
    record_mac,
    seal,
    seal_public,
    sign,
    sign_public,
    verify,
    verify_record_mac,
)
from schemas.crypto.tokens import ReadTokens, read_token
from schemas.keys import KeyPurpose
from schemas.plates import normalise_plate, read_plate
from schemas.sealed import SealedEnvelope

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
BODY = "粤B12345 on lane 2, intercept".encode()


def _sealed(aad: bytes = b"delivery-1") -> tuple[SealedEnvelope, x25519.X25519PrivateKey]:
    private = generate_private(KeyPurpose.SEAL)
    record = public_record("440000", private, NOW)
    envelope = seal(BODY, seal_public(record), recipient="440000", key_id=record.key_id, aad=aad)
    return envelope, private


def test_a_sealed_body_opens_with_the_recipient_key_and_aad() -> None:
    envelope, private = _sealed()
    assert open_sealed(envelope, private, aad=b"delivery-1") == BODY
    assert BODY not in envelope.ciphertext_bytes
    assert SealedEnvelope.model_validate_json(envelope.model_dump_json()) == envelope


def test_sealing_twice_gives_different_ciphertexts() -> None:
    private = generate_private(KeyPurpose.SEAL)
    public = private.public_key()
    a, b = (seal(BODY, public, recipient="440000", key_id="0" * 16, aad=b"x") for _ in range(2))
    assert a.ciphertext != b.ciphertext


def test_another_key_does_not_open() -> None:
    envelope, _ = _sealed()
    with pytest.raises(OpenError):
        open_sealed(envelope, generate_private(KeyPurpose.SEAL), aad=b"delivery-1")


def test_another_aad_does_not_open() -> None:
    """An envelope copied into another delivery does not open there."""
    envelope, private = _sealed()
    with pytest.raises(OpenError):
        open_sealed(envelope, private, aad=b"delivery-2")


@pytest.mark.parametrize("where", [0, 31, 32, -1])  # the encapsulated key, the ciphertext, the tag
def test_a_changed_byte_does_not_open(where: int) -> None:
    envelope, private = _sealed()
    raw = bytearray(envelope.ciphertext_bytes)
    raw[where] ^= 0x01
    tampered = envelope.model_copy(update={"ciphertext": base64.b64encode(bytes(raw)).decode()})
    with pytest.raises(OpenError):
        open_sealed(tampered, private, aad=b"delivery-1")


def test_a_truncated_envelope_does_not_open() -> None:
    envelope, private = _sealed()
    short = envelope.model_copy(update={"ciphertext": base64.b64encode(b"\x00" * 8).decode()})
    with pytest.raises(OpenError):
        open_sealed(short, private, aad=b"delivery-1")


def test_a_signature_verifies_only_for_its_data_context_and_key() -> None:
    private = generate_private(KeyPurpose.SIGN)
    public = sign_public(public_record("810000", private, NOW))
    signature = sign(private, "batch", b"canonical bytes")
    assert verify(public, signature, "batch", b"canonical bytes")
    assert not verify(public, signature, "batch", b"canonical bytez")
    assert not verify(public, signature, "alert", b"canonical bytes")
    other = generate_private(KeyPurpose.SIGN).public_key()
    assert not verify(other, signature, "batch", b"canonical bytes")
    assert not verify(public, signature[:-1], "batch", b"canonical bytes")
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify(public, flipped, "batch", b"canonical bytes")


def test_a_context_with_nul_is_refused() -> None:
    with pytest.raises(ValueError):
        sign(generate_private(KeyPurpose.SIGN), "a\x00b", b"")


def test_record_mac_binds_topic_key_and_value() -> None:
    key = os.urandom(32)
    mac = record_mac(key, "t.hits", b"k", b"v")
    assert len(mac) == 32
    assert verify_record_mac(key, "t.hits", b"k", b"v", mac)
    assert not verify_record_mac(os.urandom(32), "t.hits", b"k", b"v", mac)
    assert not verify_record_mac(key, "t.other", b"k", b"v", mac)
    assert not verify_record_mac(key, "t.hits", b"K", b"v", mac)
    assert not verify_record_mac(key, "t.hits", b"k", b"w", mac)
    assert not verify_record_mac(key, "t.hits", None, b"v", mac)
    assert not verify_record_mac(key, "t.hits", b"k", b"v", mac[:-1])


def test_record_mac_fields_cannot_be_shifted() -> None:
    """Moving bytes between the key and the value changes the MAC (length-prefixed fields)."""
    key = os.urandom(32)
    assert record_mac(key, "t", b"ab", b"c") != record_mac(key, "t", b"a", b"bc")
    assert record_mac(key, "t", b"", b"v") != record_mac(key, "t", None, b"v")


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        record_mac(b"short", "t", b"k", b"v")
    with pytest.raises(ValueError):
        plate_token(b"short", "川A12345", exact=True)


MATCHING_KEY = bytes(range(32))


@pytest.mark.parametrize(
    ("entry", "misread"),
    [
        ("川A12345", "川A1Z34S"),  # 2/Z, 5/S
        ("川A12345", "渝A12345"),  # the province character
        ("粤B80D6G", "粤8B0Q6G"),  # 8/B both ways, D/Q
        ("川A12345", "川4I2345"),  # 4/A, 1/I
    ],
)
def test_a_lookalike_misread_has_the_entry_s_folded_token(entry: str, misread: str) -> None:
    plate = normalise_plate(entry).text
    read = read_plate(misread).text
    assert plate_token(MATCHING_KEY, read, exact=False) == plate_token(MATCHING_KEY, plate, exact=False)
    assert plate_token(MATCHING_KEY, read, exact=True) != plate_token(MATCHING_KEY, plate, exact=True)


@pytest.mark.parametrize("other", ["川A12346", "川A1234", "川A12345警", "川AK2345", "川C12345"])
def test_another_plate_has_another_token(other: str) -> None:
    plate = normalise_plate("川A12345").text
    assert plate_token(MATCHING_KEY, plate, exact=False) != plate_token(MATCHING_KEY, other, exact=False)


def test_exact_and_folded_tokens_never_coincide_and_depend_on_the_key() -> None:
    plate = "川K12346"  # no character outside a one-member class is folded differently: K, 3
    assert plate_token(MATCHING_KEY, plate, exact=True) != plate_token(MATCHING_KEY, plate, exact=False)
    assert plate_token(MATCHING_KEY, plate, exact=True) != plate_token(os.urandom(32), plate, exact=True)
    token = plate_token(MATCHING_KEY, plate, exact=True)
    assert len(token) == 32 and int(token, 16) >= 0


def test_folding_uses_each_class_representative() -> None:
    assert fold_lookalikes("DQO0 B8 I71 Z2 S5 G6 A4 FE RP 渝川") == "0000 88 111 22 55 66 44 EE PP 京京"


def test_a_private_key_survives_pem_and_other_pem_is_refused() -> None:
    for purpose in KeyPurpose:
        private = generate_private(purpose)
        again = load_private_pem(private_pem(private))
        assert type(again) is type(private)
        assert public_record("510000", again, NOW) == public_record("510000", private, NOW)
    with pytest.raises(KeyMaterialError):
        load_private_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")


def test_a_key_of_the_other_purpose_is_refused() -> None:
    seal_record = public_record("510000", generate_private(KeyPurpose.SEAL), NOW)
    sign_record = public_record("510000", generate_private(KeyPurpose.SIGN), NOW)
    with pytest.raises(KeyMaterialError):
        sign_public(seal_record)
    with pytest.raises(KeyMaterialError):
        seal_public(sign_record)


@pytest.mark.parametrize("plate", ["川A12345", "粤Z1234港", "渝E27608", "WE1234"])
def test_the_keyed_read_token_state_gives_the_one_shot_token(plate: str) -> None:
    other = os.urandom(32)
    assert ReadTokens(MATCHING_KEY)(plate) == read_token(MATCHING_KEY, plate)
    assert ReadTokens(MATCHING_KEY)(plate).hex() == plate_token(MATCHING_KEY, plate, exact=True)
    assert ReadTokens(other)(plate) == read_token(other, plate) != read_token(MATCHING_KEY, plate)
