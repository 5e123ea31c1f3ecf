"""The processors' at-rest sealing: the cipher, the key file, and store changelogs sealed and restored."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ops.cli import main
from ops.keys.rest import create_rest_keys, read_rest_keys, rotate_rest_keys
from ops.keys.store import KeyStoreError
from schemas.codec import encode
from schemas.crypto.at_rest import AtRestCipher, is_sealed_at_rest, new_rest_keys, rotated
from schemas.crypto.errors import OpenError
from schemas.dlq import DlqReason, DlqStage
from schemas.topics import Catalogue
from streams.evaluate.decode import BadRecord
from streams.evaluate.ingest import Ingest, RecordRef
from streams.evaluate.ledger import Ledger
from streams.runtime.at_rest import RestProtection
from streams.runtime.deadletter import DeadLetterBuilder
from streams.runtime.records import Outgoing, Record
from streams.runtime.stores import Stores, StoreSpec
from tests.unit.models_factories import match

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)
PLATE = "粤B12345".encode()


def test_a_sealed_record_opens_only_for_its_topic_and_wire_key_and_holds_no_clear_bytes() -> None:
    cipher = AtRestCipher(new_rest_keys(NOW))
    wire = cipher.token(PLATE)
    sealed = cipher.seal("rax.matches", wire, PLATE, b'{"plate":"\xe7\xb2\xa4B12345"}')
    assert is_sealed_at_rest(sealed) and PLATE not in sealed and b"B12345" not in sealed
    assert PLATE not in wire and len(wire) == 32 and cipher.token(PLATE) == wire
    assert cipher.open("rax.matches", wire, sealed) == (PLATE, b'{"plate":"\xe7\xb2\xa4B12345"}')
    with pytest.raises(OpenError):
        cipher.open("rax-escalate-inbox", wire, sealed)  # moved to another topic
    with pytest.raises(OpenError):
        cipher.open("rax.matches", cipher.token(b"other"), sealed)  # filed under another key
    changed = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(OpenError):
        cipher.open("rax.matches", wire, changed)
    with pytest.raises(OpenError):
        AtRestCipher(new_rest_keys(NOW)).open("rax.matches", wire, sealed)  # another file
    assert cipher.seal("t", None, None, b"v") != cipher.seal("t", None, None, b"v")  # a fresh nonce
    assert cipher.open("t", None, cipher.seal("t", None, None, b"v")) == (None, b"v")


def test_a_rotation_keeps_tokens_and_opens_what_older_keys_sealed() -> None:
    keys = new_rest_keys(NOW)
    old = AtRestCipher(keys)
    new = AtRestCipher(rotated(keys, NOW))
    sealed = old.seal("t", b"k", b"k", b"v")
    assert new.token(b"k") == old.token(b"k")
    assert new.open("t", b"k", sealed) == (b"k", b"v")
    assert new.seal("t", b"k", b"k", b"v")[:18] != sealed[:18]  # the new key's id seals
    with pytest.raises(OpenError):
        old.open("t", b"k", new.seal("t", b"k", b"k", b"v"))


def test_the_key_file_is_private_never_replaced_and_rotates(tmp_path: Path) -> None:
    path = tmp_path / "rest.json"
    keys = create_rest_keys(path, NOW)
    assert path.stat().st_mode & 0o777 == 0o600 and read_rest_keys(path) == keys
    with pytest.raises(KeyStoreError, match="exists"):
        create_rest_keys(path, NOW)
    rotated_keys = rotate_rest_keys(path, NOW)
    assert len(rotated_keys.keys) == 2 and rotated_keys.token_key == keys.token_key
    os.chmod(path, 0o644)
    with pytest.raises(KeyStoreError, match="open to others"):
        read_rest_keys(path)


def _stores(cipher: AtRestCipher | None) -> Stores:
    return Stores([StoreSpec("vehicles")], lambda name: f"rax-escalate-{name}-changelog", 6, cipher)


def test_sealed_changelogs_hold_no_store_key_or_value_and_restore_with_deletions() -> None:
    cipher = AtRestCipher(new_rest_keys(NOW))
    stores = _stores(cipher)
    scope = ("rax-escalate-inbox", 2)
    store = stores.get("vehicles", scope)
    store["粤B12345"] = {"plate": "粤B12345", "n": 1}
    store["粤C00001"] = {"plate": "粤C00001"}
    first = list(stores.changes())
    stores.clean()
    del store["粤C00001"]
    store["粤B12345"] = {"plate": "粤B12345", "n": 2}
    second = list(stores.changes())
    raw = b"".join(k + (v or b"") for _, _, k, v in first + second)
    assert "粤B12345".encode() not in raw and b"B12345" not in raw and b"C00001" not in raw
    assert all(k.startswith(b"rax-escalate-inbox\x1f2\x1f") for _, _, k, _ in first + second)
    assert [v is None for _, _, _, v in second].count(True) == 1  # the deletion is a tombstone
    restored = _stores(cipher)
    for _, _, key, value in first + second:
        restored.apply_changelog("vehicles", {scope}, key, value)
    restored.clean()
    assert dict(restored.get("vehicles", scope)) == {"粤B12345": {"plate": "粤B12345", "n": 2}}


def test_a_clear_changelog_still_restores_with_a_key_and_a_sealed_one_needs_it() -> None:
    clear = _stores(None)
    scope = ("in", 0)
    clear.get("vehicles", scope)["x"] = 1
    records = list(clear.changes())
    keyed = _stores(AtRestCipher(new_rest_keys(NOW)))
    for _, _, key, value in records:
        keyed.apply_changelog("vehicles", {scope}, key, value)
    assert dict(keyed.get("vehicles", scope)) == {"x": 1}
    keyed.get("vehicles", scope)["y"] = 2
    sealed = [c for c in keyed.changes() if c[3] is not None]
    with pytest.raises(RuntimeError, match="--rest-key"):
        _stores(None).apply_changelog("vehicles", {scope}, sealed[0][2], sealed[0][3])
    with pytest.raises(RuntimeError, match="does not open"):
        _stores(AtRestCipher(new_rest_keys(NOW))).apply_changelog(
            "vehicles", {scope}, sealed[0][2], sealed[0][3]
        )


@dataclass(frozen=True)
class _Message:  # faust's message as the evaluator takes it: where it was read, its key, its time
    topic: str
    partition: int
    offset: int
    timestamp: float
    key: bytes | None


def test_the_evaluator_opens_sealed_matches_with_the_key_and_refuses_them_without() -> None:
    cat = Catalogue("rax")
    cipher = AtRestCipher(new_rest_keys(NOW))
    m = match()
    clear = encode(m)
    key = m.hit.plate.encode()
    wire = cipher.token(key)
    sealed = cipher.seal(cat.matches, wire, key, clear)
    ref = _Message(cat.matches, 0, 3, 1.0, wire)
    with_key, in_clear = Ledger(), Ledger()
    Ingest(cat, with_key, cipher).add(ref, sealed)
    Ingest(cat, in_clear).add(RecordRef(cat.matches, 0, 3, 1.0), clear)
    assert with_key.matches == in_clear.matches and len(with_key.matches) == 1
    with pytest.raises(BadRecord) as caught:
        Ingest(cat, Ledger()).add(ref, sealed)
    assert caught.value.reason is DlqReason.UNOPENABLE and "--rest-key" in str(caught.value)
    with pytest.raises(BadRecord) as caught:
        Ingest(cat, Ledger(), cipher).add(_Message(cat.matches, 0, 3, 1.0, b"another key"), sealed)
    assert caught.value.reason is DlqReason.UNOPENABLE


def test_the_loop_seals_only_the_processors_own_topics_and_dead_letters_what_it_read_sealed() -> None:
    cat = Catalogue("rax")
    protection = RestProtection(AtRestCipher(new_rest_keys(NOW)), cat)
    out = Outgoing(cat.escalate_inbox, PLATE, b'{"plate":"x"}', [("h", b"1")], 2)
    sealed = protection.sealed(out)
    assert sealed.key == protection.wire_key(cat.escalate_inbox, PLATE) != PLATE
    assert is_sealed_at_rest(sealed.value) and sealed.partition == 2 and sealed.headers == out.headers
    for other in (cat.out("510000"), cat.audit, cat.in_hits("510000"), cat.dlq("hotpath")):
        assert protection.sealed(Outgoing(other, PLATE, b"{}")).value == b"{}"
    assert protection.wire_key(cat.out("510000"), PLATE) == PLATE
    # rax.watchlist: sealed, its keys (entry ids) kept, so a tombstone still names its entry
    entry = protection.sealed(Outgoing(cat.watchlist, b"entry-id", b'{"plate":"x"}'))
    assert entry.key == b"entry-id" and is_sealed_at_rest(entry.value)
    assert protection.sealed(Outgoing(cat.watchlist, b"entry-id", None)).key == b"entry-id"
    assert (
        protection.opened(Record(cat.watchlist, entry.value, 0, 0, entry.key))[0].value() == b'{"plate":"x"}'
    )
    record = Record(cat.escalate_inbox, sealed.value, 7, 2, sealed.key, [("h", b"1")])
    opened, why = protection.opened(record)
    assert why is None and opened.key() == PLATE and opened.value() == b'{"plate":"x"}'
    letter = DeadLetterBuilder(cat.dlq("escalate"), "escalate").build(
        opened, DlqReason.PROCESSING_ERROR, DlqStage.PROCESS, "a bug"
    )
    assert (letter.key, letter.value) == (sealed.key, sealed.value)  # as it was on the topic
    clear = Record(cat.matches, b"{}", 1, 0, b"k")
    assert protection.opened(clear) == (clear, None)  # written before the key was given
    blind = RestProtection(None, cat)
    assert blind.opened(record)[0] is None and "--rest-key" in (blind.opened(record)[1] or "")
    assert blind.sealed(out) is out


def test_rax_keys_rest_creates_rotates_and_lists_ids_never_secrets(tmp_path: Path) -> None:
    path = tmp_path / "rest.json"
    run = CliRunner().invoke
    created = run(main, ["keys", "rest", "create", str(path)])
    assert created.exit_code == 0 and created.output.count("seals and opens") == 1, created.output
    assert run(main, ["keys", "rest", "create", str(path)]).exit_code == 1  # never replaced
    rotated_out = run(main, ["keys", "rest", "rotate", str(path)]).output
    listed = run(main, ["keys", "rest", "list", str(path)]).output
    assert listed == rotated_out and len(listed.splitlines()) == 2
    assert listed.splitlines()[0].split()[0] == created.output.split()[0]
    keys = read_rest_keys(path)
    assert all(k.key not in listed for k in keys.keys) and keys.token_key not in listed
