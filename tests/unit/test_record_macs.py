"""Authenticated records: MAC keys, rax.mac headers, the processors' key store, the screening policy."""

from __future__ import annotations

import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from prometheus_client import CollectorRegistry
from pydantic import SecretStr, ValidationError

from ops.centre import acknowledge
from ops.cli import main
from ops.kafka.private import private_dir, write_private
from ops.keys import KeyStore, KeyStoreError
from schemas.acks import Outcome
from schemas.audit import AuditRecord
from schemas.codec import decode
from schemas.crypto import MAC_HEADER, MAC_KEY_HEADER, KeyedMac, mac_headers, record_mac
from schemas.dlq import parse_dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.mac_keys import MacKey, current_mac_key, dump_mac_keys, load_mac_keys, mac_key_id, new_mac_key
from schemas.topics import Catalogue
from streams.runtime import ClientFactory, Record, RuntimeSettings, StreamLoop
from streams.runtime.macs import MacKeyring, MacStoreError, RecordAuthenticator
from streams.runtime.settings import MacPolicy

CAT = Catalogue("rax")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
HITS = CAT.in_hits("510000")
NOW = T0.timestamp() + 3600


def _store(tmp_path: Path, *keys: MacKey) -> MacKeyring:
    directory = private_dir(tmp_path / "mac-keys")
    by_region: dict[str, list[MacKey]] = {}
    for k in keys:
        by_region.setdefault(k.region, []).append(k)
    for region, held in by_region.items():
        write_private(directory / f"{region}.mac", dump_mac_keys(held))
    ring = MacKeyring(directory, reload_s=0)
    ring.load()
    return ring


def _headers(key: MacKey, topic: str, k: bytes | None, v: bytes | None) -> list[tuple[str, bytes]]:
    return list(mac_headers(key.raw, key.key_id, topic, k, v))


def _same(held: KeyedMac | None, key: MacKey) -> bool:
    return held is not None and held.mac(HITS, b"k", b"v") == record_mac(key.raw, HITS, b"k", b"v")


# ---- keys -------------------------------------------------------------------------------------------
def test_a_mac_key_is_32_random_bytes_named_by_its_id_and_never_shown() -> None:
    a, b = new_mac_key("510000", T0), new_mac_key("510000", T0)
    assert len(a.raw) == 32 and a.raw != b.raw and a.key_id == mac_key_id(a.raw) != b.key_id
    assert a.secret.get_secret_value() not in repr(a) + a.model_dump_json()
    assert load_mac_keys(dump_mac_keys([a, b])) == (a, b)  # the file, though, holds the secrets
    data = a.model_dump()
    with pytest.raises(ValidationError, match="does not match"):
        MacKey.model_validate({**data, "key_id": b.key_id})
    with pytest.raises(ValidationError, match="32 bytes"):
        MacKey.model_validate({**data, "secret": SecretStr("c2hvcnQ=")})


def test_a_keyed_mac_equals_the_one_shot_mac_and_refuses_a_short_key() -> None:
    key = new_mac_key("510000", T0)
    keyed = KeyedMac(key.raw)
    for k, v in ((None, None), (b"", b""), (b"k", b"v" * 1000)):
        assert keyed.mac(HITS, k, v) == record_mac(key.raw, HITS, k, v)
        assert keyed.verify(HITS, k, v, record_mac(key.raw, HITS, k, v))
    assert keyed.mac(HITS, None, b"") != keyed.mac(HITS, b"", b"")  # an absent key is not an empty one
    with pytest.raises(ValueError, match="at least 32"):
        KeyedMac(b"short")


def test_the_newest_valid_key_is_used_and_an_ended_one_is_not() -> None:
    old = new_mac_key("510000", T0).model_copy(update={"valid_until": T0 + 7 * DAY})
    new = new_mac_key("510000", T0 + DAY)
    assert current_mac_key([old, new], "510000", T0 + 2 * DAY) == new
    assert current_mac_key([old, new], "510000", T0 + 0.5 * DAY) == old
    assert current_mac_key([old], "510000", T0 + 7 * DAY) is None
    assert current_mac_key([new], "500000", T0 + 2 * DAY) is None


# ---- the policy -------------------------------------------------------------------------------------
def test_required_accepts_a_valid_mac_and_refuses_a_missing_a_wrong_or_a_moved_one(tmp_path: Path) -> None:
    key = new_mac_key("510000", T0)
    other = new_mac_key("500000", T0)
    auth = RecordAuthenticator(MacPolicy.REQUIRED, _store(tmp_path, key, other), CAT)
    value = b'{"plate": "\xe5\xb7\x9dA12345"}'
    good = _headers(key, HITS, b"k", value)
    assert auth.problem(HITS, b"k", value, good, NOW) is None
    assert auth.problem(HITS, b"k", value, None, NOW)[0] == "missing"  # type: ignore[index]
    assert auth.problem(HITS, b"k", value + b" ", good, NOW)[0] == "bad_mac"  # type: ignore[index]
    assert auth.problem(HITS, b"K", value, good, NOW)[0] == "bad_mac"  # type: ignore[index]
    # a valid identity with a wrong key: a secret that is not the region's, under the region's key id
    forged = mac_headers(new_mac_key("510000", T0).raw, key.key_id, HITS, b"k", value)
    assert auth.problem(HITS, b"k", value, list(forged), NOW)[0] == "bad_mac"  # type: ignore[index]
    # another region's key (and so a record copied from its topic) does not pass on 510000's topic
    theirs = _headers(other, HITS, b"k", value)
    problem = auth.problem(HITS, b"k", value, theirs, NOW)
    assert problem is not None and problem[0] == "unknown_key" and "510000" in problem[1]
    moved = _headers(key, CAT.in_alerts("510000"), b"k", value)
    assert auth.problem(HITS, b"k", value, moved, NOW)[0] == "bad_mac"  # type: ignore[index]


def test_malformed_headers_are_forged_not_errors(tmp_path: Path) -> None:
    key = new_mac_key("510000", T0)
    auth = RecordAuthenticator(MacPolicy.OPTIONAL, _store(tmp_path, key), CAT)
    kid = (MAC_KEY_HEADER, key.key_id.encode())
    cases: list[list[tuple[str, Any]]] = [
        [(MAC_HEADER, b"zz"), kid],
        [(MAC_HEADER, b"00" * 16), kid],
        [(MAC_HEADER, b"00" * 32)],
        [*_headers(key, HITS, None, b"v"), (MAC_HEADER, b"00" * 32)],
        [(MAC_HEADER, None), kid],
    ]
    for headers in cases:
        problem = auth.problem(HITS, None, b"v", headers, NOW)
        assert problem is not None and problem[0] == "malformed", headers
    # the right length but not the lowercase hex of the MAC: it does not verify (no decoding error either)
    upper = mac_headers(key.raw, key.key_id, HITS, None, b"v")[0][1].upper()
    for mac in (b"\xff" * 64, upper):
        problem = auth.problem(HITS, None, b"v", [(MAC_HEADER, mac), kid], NOW)
        assert problem is not None and problem[0] == "bad_mac", mac


def test_optional_checks_only_records_with_a_mac_and_off_checks_nothing(tmp_path: Path) -> None:
    key = new_mac_key("510000", T0)
    ring = _store(tmp_path, key)
    bad = [(MAC_HEADER, b"00" * 32), (MAC_KEY_HEADER, key.key_id.encode())]
    optional = RecordAuthenticator(MacPolicy.OPTIONAL, ring, CAT)
    assert optional.problem(HITS, None, b"v", [("other", b"x")], NOW) is None
    assert optional.problem(HITS, None, b"v", _headers(key, HITS, None, b"v"), NOW) is None
    assert optional.problem(HITS, None, b"v", bad, NOW)[0] == "bad_mac"  # type: ignore[index]
    assert RecordAuthenticator(MacPolicy.OFF, ring, CAT).problem(HITS, None, b"v", bad, NOW) is None


def test_only_the_regions_input_topics_are_checked(tmp_path: Path) -> None:
    auth = RecordAuthenticator(MacPolicy.REQUIRED, _store(tmp_path, new_mac_key("510000", T0)), CAT)
    for topic in (
        CAT.zone,
        CAT.out("510000"),
        CAT.dlq("hotpath"),
        "rax.in.5100.hits",
        "other.in.510000.hits",
    ):
        assert auth.problem(topic, None, b"v", None, NOW) is None, topic
        assert auth.region_of(topic) is None
    assert auth.region_of(CAT.in_acks("500000")) == "500000"


def test_after_a_rotation_the_old_key_verifies_until_the_overlap_ends(tmp_path: Path) -> None:
    rotated = T0 + 10 * DAY
    old = new_mac_key("510000", T0).model_copy(update={"valid_until": rotated + 7 * DAY})
    new = new_mac_key("510000", rotated)
    auth = RecordAuthenticator(MacPolicy.REQUIRED, _store(tmp_path, old, new), CAT)
    by_old, by_new = _headers(old, HITS, None, b"v"), _headers(new, HITS, None, b"v")
    during = (rotated + DAY).timestamp()
    assert auth.problem(HITS, None, b"v", by_old, during) is None
    assert auth.problem(HITS, None, b"v", by_new, during) is None
    after = (rotated + 7 * DAY).timestamp()
    assert auth.problem(HITS, None, b"v", by_old, after)[0] == "unknown_key"  # type: ignore[index]
    assert auth.problem(HITS, None, b"v", by_new, after) is None
    assert auth.problem(HITS, None, b"v", by_new, (rotated - DAY).timestamp()) is not None  # not yet valid
    # a connector whose clock runs a little ahead switches early by ours: a few minutes are tolerated
    assert auth.problem(HITS, None, b"v", by_new, (rotated - timedelta(minutes=4)).timestamp()) is None
    assert auth.problem(HITS, None, b"v", by_new, (rotated - timedelta(minutes=6)).timestamp()) is not None


# ---- the processors' store --------------------------------------------------------------------------
def test_the_store_refuses_files_and_directories_others_may_read(tmp_path: Path) -> None:
    key = new_mac_key("510000", T0)
    ring = _store(tmp_path, key)
    path = ring.directory / "510000.mac"
    path.chmod(0o644)
    with pytest.raises(MacStoreError, match="chmod 600"):
        ring.load()
    path.chmod(0o600)
    ring.directory.chmod(0o755)
    with pytest.raises(MacStoreError, match="chmod 700"):
        ring.load()
    ring.directory.chmod(0o700)
    write_private(ring.directory / "500000.mac", dump_mac_keys([key]))
    with pytest.raises(MacStoreError, match="not 500000"):
        ring.load()


def test_the_store_is_reread_when_a_file_changes_and_kept_when_it_breaks(tmp_path: Path) -> None:
    old, new = new_mac_key("510000", T0), new_mac_key("510000", T0 + DAY)
    ring = _store(tmp_path, old)
    assert ring.key("510000", new.key_id, NOW + 2 * 86400) is None
    path = ring.directory / "510000.mac"
    write_private(path, dump_mac_keys([old, new]))
    ring.refresh()
    assert _same(ring.key("510000", new.key_id, NOW + 2 * 86400), new)
    write_private(path, b"not json, written half")
    ring.refresh()  # logged, and the keys held stay
    assert _same(ring.key("510000", old.key_id, NOW), old)


# ---- the loop's screening ---------------------------------------------------------------------------
class _Nothing:
    name = "hotpath"

    def store_specs(self) -> list[Any]:
        return []


def test_the_loop_dead_letters_a_forged_record_as_forged_and_counts_it(tmp_path: Path) -> None:
    key = new_mac_key("510000", datetime.now(UTC) - DAY)
    ring = _store(tmp_path, key)
    settings = RuntimeSettings(mac=MacPolicy.REQUIRED, mac_keys=ring.directory)
    registry = CollectorRegistry()
    loop = StreamLoop(_Nothing(), settings, registry)  # type: ignore[arg-type]
    assert loop.auth is not None
    loop.auth.keyring.load()
    good = Record(HITS, b"v1", 1, _key=b"k", _headers=_headers(key, HITS, b"k", b"v1"))  # type: ignore[arg-type]
    forged = Record(HITS, b"v2", 2, _key=b"k", _headers=_headers(key, HITS, b"k", b"v1"))  # type: ignore[arg-type]
    bare = Record(HITS, b"v3", 3, _key=b"k")
    ctx = loop._context()
    todo = loop.screen([good, forged, bare], ctx)  # type: ignore[list-item]
    assert todo == [good]
    dead = [out for out in ctx.out if out.topic == loop.cat.dlq("hotpath")]
    letters = [parse_dlq_headers(out.headers) for out in dead]
    assert [(d.reason.value, d.stage.value, d.source_offset) for d in letters] == [
        ("forged", "validate", 2),
        ("forged", "validate", 3),
    ]
    assert "does not verify" in letters[0].error and "--mac-key" in letters[1].error
    assert dead[0].value == b"v2"  # the dead letter keeps the original bytes and headers
    # and each is audited: who it claimed to be, where it sits, why; nothing of its content
    audits = [decode(out.value or b"", AuditRecord) for out in ctx.out if out.topic == loop.cat.audit]
    assert [(a.kind, a.recipient, a.decision.value, a.reason.value, a.subject_id) for a in audits] == [
        ("forged_record", "510000", "refused", "forged", f"{HITS}[0]@2"),
        ("forged_record", "510000", "refused", "forged", f"{HITS}[0]@3"),
    ]
    assert audits[0].plates == () and "does not verify" in (audits[0].detail or "")
    for hook in ctx.committed_hooks:
        hook()
    sample = "rax_runtime_forged_records_total"
    labels = {"processor": "hotpath", "region": "510000"}
    assert registry.get_sample_value(sample, {**labels, "cause": "bad_mac"}) == 1
    assert registry.get_sample_value(sample, {**labels, "cause": "missing"}) == 1


def test_a_policy_other_than_off_needs_the_key_store() -> None:
    with pytest.raises(ValidationError, match="needs mac_keys"):
        RuntimeSettings(mac=MacPolicy.OPTIONAL)
    assert RuntimeSettings().mac is MacPolicy.OFF


# ---- the region's store and `rax keys mac` ----------------------------------------------------------
def test_the_region_store_creates_rotates_and_exports_mac_keys_privately(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    first = store.create_mac("510000", T0)
    with pytest.raises(KeyStoreError, match="rotate"):
        store.create_mac("510000", T0 + DAY)
    path = store.mac_path("510000")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    second = store.rotate_mac("510000", T0 + DAY, timedelta(days=7))
    held = store.mac_keys("510000")
    assert [k.key_id for k in held] == [first.key_id, second.key_id]
    assert held[0].valid_until == T0 + 8 * DAY and held[1].valid_until is None
    third = store.rotate_mac("510000", T0 + 2 * DAY, timedelta(days=7), activate=timedelta(hours=1))
    assert third.valid_from == T0 + 2 * DAY + timedelta(hours=1)  # time to hand it to the processors
    assert store.mac_keys("510000")[1].valid_until == third.valid_from + 7 * DAY
    assert current_mac_key(store.mac_keys("510000"), "510000", T0 + 2 * DAY) == store.mac_keys("510000")[1]
    target = store.export_mac("510000", tmp_path / "processors")
    assert target.name == "510000.mac" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    ring = MacKeyring(target.parent)
    ring.load()
    assert _same(ring.key("510000", first.key_id, (T0 + 2 * DAY).timestamp()), first)


def test_rax_keys_mac_commands_never_print_a_secret(tmp_path: Path) -> None:
    runner = CliRunner()
    keys, to = str(tmp_path / "keys"), str(tmp_path / "processors")
    created = runner.invoke(main, ["keys", "mac", "create", "--region", "510000", "--dir", keys])
    assert created.exit_code == 0, created.output
    rotated = runner.invoke(main, ["keys", "mac", "rotate", "--region", "510000", "--dir", keys])
    listed = runner.invoke(main, ["keys", "mac", "list", "--region", "510000", "--dir", keys])
    exported = runner.invoke(main, ["keys", "mac", "export", "--region", "510000", "--dir", keys, "--to", to])
    assert rotated.exit_code == listed.exit_code == exported.exit_code == 0, exported.output
    secrets = [k.secret.get_secret_value() for k in KeyStore(Path(keys)).mac_keys("510000")]
    assert len(secrets) == 2 and len(listed.output.splitlines()) == 2
    assert not any(s in created.output + rotated.output + listed.output + exported.output for s in secrets)
    assert (tmp_path / "processors" / "510000.mac").exists()


def test_run_refuses_a_mac_policy_without_a_key_store() -> None:
    result = CliRunner().invoke(main, ["run", "hotpath", "--mac", "required"])
    assert result.exit_code != 0 and "--mac-keys" in result.output


def test_a_centres_acknowledgement_carries_the_regions_mac(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[str, bytes, bytes, Any]] = []

    class _Producer:
        def produce(self, topic: str, value: bytes, key: bytes, headers: Any = None, **_: Any) -> None:
            sent.append((topic, value, key, headers))

        def flush(self, _timeout: float) -> int:
            return 0

    monkeypatch.setattr(ClientFactory, "producer", lambda self, extra=None: _Producer())
    store = KeyStore(tmp_path / "keys")
    key = store.create_mac("510000", datetime.now(UTC) - DAY)
    acknowledge(
        KafkaSettings(), CAT, "510000", "d" * 32, Outcome.RECEIVED, "A1", mac_key=store.mac_path("510000")
    )
    ((topic, value, k, headers),) = sent
    ring = _store(tmp_path, key)
    assert (
        RecordAuthenticator(MacPolicy.REQUIRED, ring, CAT).problem(topic, k, value, headers, time.time())
        is None
    )
