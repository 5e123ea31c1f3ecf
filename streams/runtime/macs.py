"""Record authentication on input: the processors' MAC key store and the check of each record's MAC.

The store is a directory (0700) of ``<region>.mac`` files (0600, ``schemas.mac_keys``), one per region,
read at start and re-read when a file changes (a rotation reaches running workers without a restart).
The check (``RecordAuthenticator.problem``) applies to records of ``<ns>.in.<region>.*`` topics only:
their region is the topic's, the one the broker's ACLs let write it, and the MAC must be under a key of
that region valid now. Under ``optional`` only records that carry a ``rax.mac`` header are checked; under
``required`` every one must. A record that fails is *forged*: the loop dead-letters it before any
processor sees it.

Lifecycle: ``MacKeyring(dir).load()`` at start (``MacStoreError`` is fatal: a wrong mode, a broken
file); ``refresh()`` each batch re-reads the directory at most every ``reload_s`` and keeps the keys it
had if the new files are broken (logged).
"""

from __future__ import annotations

import logging
import math
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from schemas.crypto import MAC_HEADER, MAC_KEY_HEADER, MAC_LENGTH, KeyedMac
from schemas.mac_keys import MacKey, load_mac_keys
from schemas.topics import Catalogue
from streams.runtime.settings import MacPolicy

__all__ = [
    "CAUSES",
    "CLOCK_SKEW_S",
    "MacKeyring",
    "MacStoreError",
    "RecordAuthenticator",
    "read_mac_file",
    "read_private_file",
]

log = logging.getLogger(__name__)

_SUFFIX: Final = ".mac"

#: a key is accepted this long before its ``valid_from``: the producer's clock may run ahead of ours
CLOCK_SKEW_S: Final = 300.0

_HEX_LENGTH: Final = 2 * MAC_LENGTH

#: why a record is forged: the bounded values of the metric's ``cause`` label
CAUSES: Final = ("missing", "malformed", "unknown_key", "bad_mac")


class MacStoreError(RuntimeError):
    """A MAC key file or directory that cannot be used (fatal at start); the message says what to fix."""


def _private(path: Path, wanted: int) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise MacStoreError(f"{path} is open to others (mode {mode:o}); chmod {wanted:o} it first")


def read_private_file(path: Path) -> bytes:
    """The bytes of a secret file (MAC keys, matching keys); refuses one others may read."""
    try:
        _private(path, 0o600)
        return path.read_bytes()
    except OSError as exc:
        raise MacStoreError(f"cannot read {path}: {exc}") from None


def read_mac_file(path: Path) -> tuple[MacKey, ...]:
    """The MAC keys of one ``<region>.mac`` file; refuses a file others may read, or a broken one."""
    try:
        _private(path, 0o600)
        return load_mac_keys(path.read_bytes())
    except OSError as exc:
        raise MacStoreError(f"cannot read MAC keys {path}: {exc}") from None
    except ValidationError as exc:
        raise MacStoreError(f"{path} is not a list of MAC keys: {exc}") from None


@dataclass(frozen=True, slots=True)
class _Key:
    mac: KeyedMac
    valid_from: float
    valid_until: float


class MacKeyring:
    """Every region's MAC keys from the processors' store, by region and key id."""

    def __init__(self, directory: Path, reload_s: float = 10.0) -> None:
        self.directory = directory
        self.reload_s = reload_s
        self._keys: dict[str, dict[bytes, _Key]] = {}  # region -> key id (ASCII bytes, as in headers)
        self._seen: tuple[tuple[str, int, int], ...] = ()
        self._checked = 0.0

    def _stamp(self) -> tuple[tuple[str, int, int], ...]:
        try:
            _private(self.directory, 0o700)
            files = sorted(self.directory.glob(f"*{_SUFFIX}"))
            return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
        except OSError as exc:
            raise MacStoreError(f"cannot read the MAC key store {self.directory}: {exc}") from None

    def load(self) -> None:
        """Read every ``<region>.mac`` file; raises ``MacStoreError`` (nothing is changed then)."""
        stamp = self._stamp()
        keys: dict[str, dict[bytes, _Key]] = {}
        for name, _, _ in stamp:
            region = name[: -len(_SUFFIX)]
            for k in read_mac_file(self.directory / name):
                if k.region != region:
                    raise MacStoreError(f"{self.directory / name} holds a key of {k.region}, not {region}")
                until = k.valid_until.timestamp() if k.valid_until is not None else math.inf
                start = k.valid_from.timestamp() - CLOCK_SKEW_S
                keys.setdefault(region, {})[k.key_id.encode("ascii")] = _Key(KeyedMac(k.raw), start, until)
        self._keys, self._seen, self._checked = keys, stamp, time.monotonic()
        if keys:
            log.info("MAC keys of %d regions loaded from %s", len(keys), self.directory)
        else:
            log.warning(
                "no <region>.mac file in %s: every record that needs a MAC is refused", self.directory
            )

    def refresh(self) -> None:
        """Re-read the store if a file changed, at most every ``reload_s``; keep the old keys on error."""
        now = time.monotonic()
        if now - self._checked < self.reload_s:
            return
        self._checked = now
        try:
            if self._stamp() != self._seen:
                self.load()
        except MacStoreError as exc:
            log.error("MAC key store not reloaded, keeping the keys held: %s", exc)

    def regions(self) -> tuple[str, ...]:
        """The regions that have keys, sorted."""
        return tuple(sorted(self._keys))

    def key(self, region: str, key_id: str | bytes, now: float) -> KeyedMac | None:
        """``region``'s key ``key_id`` if it is valid at ``now`` (epoch s), else None.

        A key is accepted from ``CLOCK_SKEW_S`` before its ``valid_from``: a connector whose clock runs
        ahead switches to a new key that early by ours (accepting a region's own key early opens nothing).
        """
        if isinstance(key_id, str):
            key_id = key_id.encode("ascii", errors="replace")
        key = self._keys.get(region, {}).get(key_id)
        if key is None or not key.valid_from <= now < key.valid_until:
            return None
        return key.mac


class RecordAuthenticator:
    """Decides, per input record, whether it is forged under the zone's MAC policy."""

    def __init__(self, policy: MacPolicy, keyring: MacKeyring, catalogue: Catalogue) -> None:
        self.policy = policy
        self.keyring = keyring
        self._prefix = catalogue.in_prefix
        self._catalogue = catalogue
        self._regions: dict[str, str | None] = {}  # topic -> its region (None: not an input topic)

    def region_of(self, topic: str) -> str | None:
        """The region of a ``<ns>.in.<region>.*`` topic, None for every other topic (cached)."""
        if topic not in self._regions:
            parsed = self._catalogue.parse_region_topic(topic) if topic.startswith(self._prefix) else None
            self._regions[topic] = parsed[0] if parsed else None
        return self._regions[topic]

    def problem(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Any,
        now: float,
    ) -> tuple[str, str] | None:
        """None for an authentic (or unchecked) record, else (cause, error); ``headers`` are the record's
        (name, value) pairs or None. The cause is a metric label
        (``missing``, ``malformed``, ``unknown_key``, ``bad_mac``), the error says what to do."""
        region = self.region_of(topic)
        if region is None or self.policy is MacPolicy.OFF:
            return None
        mac: bytes | str | None = None
        key_id: bytes | str | None = None
        seen = 0
        for name, data in headers or ():
            if name == MAC_HEADER:
                mac, seen = data, seen + 1
            elif name == MAC_KEY_HEADER:
                key_id = data
        if seen == 0:
            if self.policy is MacPolicy.REQUIRED:
                return "missing", (
                    f"no {MAC_HEADER} header: the zone requires every record of {region} to carry a MAC "
                    f"(give the connector --mac-key)"
                )
            return None
        if seen > 1 or mac is None or key_id is None:
            return "malformed", f"a record carries one {MAC_HEADER} and one {MAC_KEY_HEADER} header"
        if isinstance(mac, str):
            mac = mac.encode("utf-8")
        if isinstance(key_id, str):
            key_id = key_id.encode("utf-8")
        if len(mac) != _HEX_LENGTH:  # not hex, or upper case: it does not verify (bad_mac)
            return "malformed", f"{MAC_HEADER} has {len(mac)} characters, not {_HEX_LENGTH} (lowercase hex)"
        mac_key = self.keyring.key(region, key_id, now)
        if mac_key is None:
            kid = key_id[:32].decode("ascii", errors="replace")
            return "unknown_key", (
                f"{kid!r} is not a MAC key of {region} valid now: an unknown, expired or not yet "
                f"distributed key (`rax keys mac export` to the processors' store)"
            )
        if not mac_key.verify_hex(topic, key, value, mac):
            kid = key_id.decode("ascii", errors="replace")
            return "bad_mac", f"the MAC does not verify under {region}'s key {kid}: changed or forged"
        return None
