"""Region keys: the zone's public records, which key serves when, the region-side store and `rax keys`."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import x25519
from pydantic import ValidationError

from ops.cli import main
from ops.keys import KeyStore, KeyStoreError
from ops.zone.file import ZoneFileError, load_zone_file, parse_zone
from schemas.crypto import generate_private, open_sealed, public_record, seal, seal_public
from schemas.keys import KeyPurpose, RegionKey, current_key, keys_valid_at

ROOT = Path(__file__).parents[2]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def _record(
    purpose: KeyPurpose = KeyPurpose.SEAL, valid_from: datetime = T0, valid_until: datetime | None = None
) -> RegionKey:
    return public_record("510000", generate_private(purpose), valid_from, valid_until)


def test_a_record_must_match_its_key_and_purpose() -> None:
    good = _record()
    data = good.model_dump()
    with pytest.raises(ValidationError, match="does not match"):
        RegionKey.model_validate({**data, "key_id": "0" * 16})
    with pytest.raises(ValidationError, match="X25519"):
        RegionKey.model_validate({**data, "algorithm": "Ed25519"})
    with pytest.raises(ValidationError, match="after valid_from"):
        RegionKey.model_validate({**data, "valid_until": T0})


def test_the_newest_valid_key_is_used_and_every_valid_one_accepted() -> None:
    old = _record(valid_from=T0, valid_until=T0 + 10 * DAY)
    new = _record(valid_from=T0 + 3 * DAY)
    sign = _record(KeyPurpose.SIGN, valid_from=T0 + 5 * DAY)
    keys = (old, new, sign)
    at = T0 + 4 * DAY  # in the overlap
    assert current_key(keys, "510000", KeyPurpose.SEAL, at) == new
    assert keys_valid_at(keys, "510000", KeyPurpose.SEAL, at) == (new, old)
    assert current_key(keys, "510000", KeyPurpose.SEAL, T0 + DAY) == old  # before the rotation
    assert keys_valid_at(keys, "510000", KeyPurpose.SEAL, T0 + 10 * DAY) == (new,)  # until is exclusive
    assert current_key(keys, "510000", KeyPurpose.SEAL, T0 - DAY) is None
    assert current_key(keys, "500000", KeyPurpose.SEAL, at) is None
    assert current_key(keys, "510000", KeyPurpose.SIGN, at) is None  # not yet valid


def _store(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys")


def test_create_writes_private_keys_owner_only(tmp_path: Path) -> None:
    store = _store(tmp_path)
    created = store.create("510000", T0)
    assert {k.purpose for k in created} == set(KeyPurpose)
    assert store.keys("510000") == created
    for directory in (store.root, store.root / "510000"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in (store.root / "510000").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for record in created:
        pem = (store.root / "510000" / f"{record.key_id}.pem").read_bytes()
        assert b"PRIVATE KEY" in pem
        assert public_record("510000", store.private("510000", record.key_id), T0) == record
    with pytest.raises(KeyStoreError, match="rotate"):
        store.create("510000", T0 + DAY)


def test_a_private_key_others_may_read_is_refused(tmp_path: Path) -> None:
    store = _store(tmp_path)
    seal_key = store.create("510000", T0)[0]
    path = store.root / "510000" / f"{seal_key.key_id}.pem"
    path.chmod(0o644)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        store.private("510000", seal_key.key_id)


def test_rotation_overlaps_and_old_records_still_open(tmp_path: Path) -> None:
    store = _store(tmp_path)
    first_seal, first_sign = store.create("510000", T0)
    sealed_before = seal(
        b"body",
        seal_public(first_seal),
        recipient="510000",
        key_id=first_seal.key_id,
        aad=b"d",
    )
    rotated_at = T0 + 30 * DAY
    (new_seal,) = store.rotate("510000", rotated_at, timedelta(days=7), [KeyPurpose.SEAL])
    keys = store.keys("510000")
    assert len(keys) == 3
    ended = next(k for k in keys if k.key_id == first_seal.key_id)
    assert ended.valid_until == rotated_at + 7 * DAY
    assert next(k for k in keys if k.key_id == first_sign.key_id).valid_until is None  # not rotated
    assert current_key(keys, "510000", KeyPurpose.SEAL, rotated_at) == new_seal
    assert set(keys_valid_at(keys, "510000", KeyPurpose.SEAL, rotated_at + 6 * DAY)) == {new_seal, ended}
    assert keys_valid_at(keys, "510000", KeyPurpose.SEAL, rotated_at + 7 * DAY) == (new_seal,)
    # a record sealed before the rotation, opened with any key valid at the record's time
    (key,) = keys_valid_at(keys, "510000", KeyPurpose.SEAL, T0 + DAY)
    private = store.private("510000", key.key_id)
    assert isinstance(private, x25519.X25519PrivateKey)
    assert open_sealed(sealed_before, private, aad=b"d") == b"body"


def test_a_second_rotation_does_not_extend_an_ending_key(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.create("510000", T0)
    store.rotate("510000", T0 + DAY, timedelta(days=2))
    store.rotate("510000", T0 + 2 * DAY, timedelta(days=30))
    ends = sorted((k.valid_from, k.valid_until) for k in store.keys("510000") if k.purpose is KeyPurpose.SEAL)
    assert ends[0] == (T0, T0 + 3 * DAY)  # kept: it ended sooner
    assert ends[1] == (T0 + DAY, T0 + 32 * DAY)
    assert ends[2] == (T0 + 2 * DAY, None)


def test_rotate_without_keys_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="create"):
        _store(tmp_path).rotate("510000", T0, DAY)


def _cli(tmp_path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["keys", *args, "--dir", str(tmp_path / "keys")])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_exported_keys_load_into_the_zone(tmp_path: Path) -> None:
    _cli(tmp_path, "create", "--region", "510000")
    _cli(tmp_path, "rotate", "--region", "510000", "--overlap", "3")
    listed = _cli(tmp_path, "list", "--region", "510000").splitlines()
    assert len(listed) == 4 and all("valid" in line for line in listed)
    exported = yaml.safe_load(_cli(tmp_path, "export", "--region", "510000"))
    assert "PRIVATE" not in str(exported)
    data = yaml.safe_load((ROOT / "ops/zones/chuanyu.yaml").read_text(encoding="utf-8"))
    zone = parse_zone({**data, **exported}, "test")
    assert zone.keys == KeyStore(tmp_path / "keys").keys("510000")
    with pytest.raises(ZoneFileError, match=r"keys\[0\]\.region: 440000 is not a member"):
        parse_zone({**data, "keys": [{**exported["keys"][0], "region": "440000"}]}, "test")
    with pytest.raises(ZoneFileError, match="listed twice"):
        parse_zone({**data, "keys": [exported["keys"][0]] * 2}, "test")


def test_a_zone_file_without_keys_loads_unchanged() -> None:
    assert load_zone_file(ROOT / "ops/zones/chuanyu.yaml").keys == ()


@pytest.mark.parametrize(
    "args",
    [
        ("rotate", "--overlap", "nan"),
        ("rotate", "--overlap", "1e12"),
        ("mac", "rotate", "--overlap", "inf"),
        ("mac", "rotate", "--activate", "nan"),
    ],
)
def test_an_overlap_or_activation_that_is_no_duration_is_refused_with_a_message(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    _cli(tmp_path, "create", "--region", "510000")
    _cli(tmp_path, "mac", "create", "--region", "510000")
    result = CliRunner().invoke(main, ["keys", *args, "--region", "510000", "--dir", str(tmp_path / "keys")])
    assert result.exit_code == 2 and "Invalid value" in result.output, result.output
    assert len(KeyStore(tmp_path / "keys").keys("510000")) == 2  # nothing rotated
