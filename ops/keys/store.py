"""The region-side key store: private keys 0600 in 0700 directories, public records beside them.

Layout under the store's root (itself 0700)::

    <region>/keys.json        the public records (schemas.keys.RegionKey), all of them, oldest first
    <region>/<key_id>.pem     the private half, unencrypted PKCS#8, 0600
    <region>/<region>.mac     the region's record-MAC keys (schemas.mac_keys), secrets, 0600

Private keys are written once and never leave this directory: not to Kafka, not to the zone. Retired
keys stay, so records sealed or signed while they were valid still open and verify; deleting them is a
deliberate act left to the operator. One operator at a time changes a region's store (no lock).

Lifecycle: ``create`` once per region (one seal and one sign key, valid from now, open-ended);
``rotate`` adds a key valid from now per purpose and ends every key it replaces ``overlap`` later. The
MAC keys follow the same lifecycle (``create_mac``, ``rotate_mac``); their file is what the region's
connectors read (``--mac-key``) and what is copied to the processors' store (``export_mac``).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from ops.kafka.private import private_dir, write_private
from schemas.crypto import (
    CryptoError,
    PrivateKey,
    generate_private,
    load_private_pem,
    private_pem,
    public_record,
)
from schemas.keys import KeyPurpose, RegionKey, current_key
from schemas.mac_keys import MacKey, current_mac_key, dump_mac_keys, new_mac_key
from streams.runtime.macs import MacStoreError, read_mac_file

__all__ = ["KeyStore", "KeyStoreError"]

_INDEX = "keys.json"
_RECORDS = TypeAdapter(tuple[RegionKey, ...])


class KeyStoreError(Exception):
    """The store cannot do what was asked; the message says what to do instead."""


class KeyStore:
    """A directory of regions' key pairs; built on a path, holds no state between calls."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, region: str) -> Path:
        if not re.fullmatch(r"[0-9]{6}", region):
            raise KeyStoreError(f"a region is a GB/T 2260 code, not {region!r}")
        return self.root / region

    def keys(self, region: str) -> tuple[RegionKey, ...]:
        """Every public record of ``region``, oldest first (empty when it has none)."""
        index = self._dir(region) / _INDEX
        if not index.exists():
            return ()
        try:
            return _RECORDS.validate_json(index.read_bytes())
        except ValidationError as exc:
            raise KeyStoreError(f"{index} is not a list of key records: {exc}") from None

    def private(self, region: str, key_id: str) -> PrivateKey:
        """The private key ``key_id`` of ``region``; refuses a file that others may read."""
        path = self._dir(region) / f"{key_id}.pem"
        if not path.exists():
            raise KeyStoreError(f"no private key {key_id} for {region} in {self.root}")
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyStoreError(f"{path} is readable by others (mode {mode:o}); chmod 600 it first")
        try:
            return load_private_pem(path.read_bytes())
        except CryptoError as exc:
            raise KeyStoreError(f"{path}: {exc}") from None

    def create(self, region: str, now: datetime) -> tuple[RegionKey, ...]:
        """A seal and a sign key for a region that has none valid at ``now``."""
        held = [p.value for p in KeyPurpose if current_key(self.keys(region), region, p, now)]
        if held:
            raise KeyStoreError(f"{region} already has valid {', '.join(held)} keys; use `rax keys rotate`")
        return self._add(region, self.keys(region), KeyPurpose, now)

    def rotate(
        self,
        region: str,
        now: datetime,
        overlap: timedelta,
        purposes: Iterable[KeyPurpose] = tuple(KeyPurpose),
    ) -> tuple[RegionKey, ...]:
        """New keys valid from ``now``; every key of those purposes still valid then ends at now+overlap."""
        if overlap < timedelta(0):
            raise KeyStoreError("the overlap cannot be negative")
        purposes = tuple(purposes)
        old = self.keys(region)
        if not old:
            raise KeyStoreError(f"{region} has no keys to rotate; use `rax keys create`")
        end = now + overlap
        ended = [
            k.model_copy(update={"valid_until": end})
            if k.purpose in purposes and k.valid_at(now) and (k.valid_until is None or k.valid_until > end)
            else k
            for k in old
        ]
        return self._add(region, ended, purposes, now)

    def _add(
        self, region: str, records: Iterable[RegionKey], purposes: Iterable[KeyPurpose], now: datetime
    ) -> tuple[RegionKey, ...]:
        directory = private_dir(self._dir(region))
        private_dir(self.root)
        added = []
        for purpose in purposes:
            key = generate_private(purpose)
            record = public_record(region, key, valid_from=now)
            # the private half first: a crash before the index is written leaves an unused file, never
            # a published key whose private half is lost
            write_private(directory / f"{record.key_id}.pem", private_pem(key))
            added.append(record)
        tmp = directory / f"{_INDEX}.tmp"
        write_private(tmp, _RECORDS.dump_json((*records, *added), indent=2))
        os.replace(tmp, directory / _INDEX)
        return tuple(added)

    # ---- record-MAC keys -----------------------------------------------------------------------
    def mac_path(self, region: str) -> Path:
        """The region's MAC key file: the one its connectors read (``--mac-key``)."""
        return self._dir(region) / f"{region}.mac"

    def mac_keys(self, region: str) -> tuple[MacKey, ...]:
        """Every MAC key of ``region``, oldest first (empty when it has none)."""
        path = self.mac_path(region)
        if not path.exists():
            return ()
        try:
            return read_mac_file(path)
        except MacStoreError as exc:
            raise KeyStoreError(str(exc)) from None

    def create_mac(self, region: str, now: datetime) -> MacKey:
        """A MAC key for a region that has none valid at ``now``."""
        if current_mac_key(self.mac_keys(region), region, now) is not None:
            raise KeyStoreError(f"{region} already has a valid MAC key; use `rax keys mac rotate`")
        return self._add_mac(region, self.mac_keys(region), now)

    def rotate_mac(
        self, region: str, now: datetime, overlap: timedelta, activate: timedelta = timedelta(0)
    ) -> MacKey:
        """A new MAC key valid from now+activate; every key still valid then ends ``overlap`` after that.

        ``activate`` leaves time to hand the new key to the processors before any connector uses it.
        """
        if overlap < timedelta(0) or activate < timedelta(0):
            raise KeyStoreError("the overlap and the activation delay cannot be negative")
        old = self.mac_keys(region)
        if not old:
            raise KeyStoreError(f"{region} has no MAC key to rotate; use `rax keys mac create`")
        now = now + activate
        end = now + overlap
        ended = [
            k.model_copy(update={"valid_until": end})
            if k.valid_at(now) and (k.valid_until is None or k.valid_until > end)
            else k
            for k in old
        ]
        return self._add_mac(region, ended, now)

    def export_mac(self, region: str, directory: Path) -> Path:
        """Copy the region's MAC keys into a processors' store (``directory``, 0700) as ``<region>.mac``."""
        keys = self.mac_keys(region)
        if not keys:
            raise KeyStoreError(f"{region} has no MAC key; create it with `rax keys mac create`")
        target = private_dir(directory) / f"{region}.mac"
        _write_atomic(target, dump_mac_keys(keys))
        return target

    def _add_mac(self, region: str, records: Iterable[MacKey], now: datetime) -> MacKey:
        private_dir(self.root)
        private_dir(self._dir(region))
        key = new_mac_key(region, now)
        _write_atomic(self.mac_path(region), dump_mac_keys((*records, key)))
        return key


def _write_atomic(path: Path, data: bytes) -> None:
    """``path`` replaced at once by ``data`` (0600): a reader sees the old file or the new, never half."""
    tmp = path.with_name(path.name + ".tmp")
    write_private(tmp, data)
    os.replace(tmp, path)
