"""The record MAC a connector attaches: ``rax.mac`` under the newest of its region's MAC keys valid now.

Lifecycle: built by the runtime when ``RuntimeConfig.mac_key_file`` is set; ``load()`` at start (a missing,
open or broken file, a key of another region, or no key valid now is fatal); ``refresh()`` once per
source batch re-reads the file when it changed (at most every ``reload_s``), so a rotation
(``rax keys mac rotate``) takes effect without a restart, and moves to a newer key once it is valid.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from connectors.sdk.errors import FatalError
from schemas.crypto import KeyedMac, mac_headers
from schemas.mac_keys import MacKey, current_mac_key
from streams.runtime.macs import MacStoreError, read_mac_file

__all__ = ["RecordMacs"]

log = logging.getLogger(__name__)


class RecordMacs:
    """The MAC headers of the records one connector produces for ``region``."""

    def __init__(self, path: Path, region: str, reload_s: float = 10.0) -> None:
        self.path = path
        self.region = region
        self.reload_s = reload_s
        self._keys: tuple[MacKey, ...] = ()
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._mac: KeyedMac | None = None
        self.key_id = ""

    def load(self) -> None:
        """Read the key file and pick the key to use now; raises ``FatalError``."""
        try:
            stat = self.path.stat()
            keys = read_mac_file(self.path)
        except (OSError, MacStoreError) as exc:
            raise FatalError(
                f"cannot use the MAC key file: {exc}", "make it with `rax keys mac create`"
            ) from None
        others = sorted({k.region for k in keys if k.region != self.region})
        if others:
            raise FatalError(
                f"{self.path} holds MAC keys of {', '.join(others)}, not only of {self.region}",
                f"point --mac-key at {self.region}'s own key file",
            )
        self._keys, self._stamp = keys, (stat.st_mtime_ns, stat.st_size)
        self._choose()

    def _choose(self) -> None:
        key = current_mac_key(self._keys, self.region, datetime.now(UTC))
        if key is None:
            raise FatalError(
                f"{self.path} has no MAC key of {self.region} valid now",
                f"rotate the region's MAC key: `rax keys mac rotate --region {self.region}`",
            )
        if key.key_id != self.key_id:
            self._mac, self.key_id = KeyedMac(key.raw), key.key_id

    def refresh(self) -> None:
        """Re-read a changed file and move to the newest valid key, at most every ``reload_s``."""
        now = time.monotonic()
        if now - self._checked < self.reload_s:
            return
        self._checked = now
        try:
            stat = self.path.stat()
        except OSError:
            stat = None  # keep the keys held; load() says why if it is still gone at the next start
        if stat is not None and (stat.st_mtime_ns, stat.st_size) != self._stamp:
            try:
                self.load()
                return
            except FatalError as exc:  # a file being rewritten: keep the keys held while one is valid
                log.warning("MAC key file not reloaded, keeping the keys held: %s", exc)
        self._choose()

    def headers(
        self, topic: str, key: bytes | None, value: bytes | None
    ) -> list[tuple[str, str | bytes | None]]:
        """``rax.mac`` and ``rax.mac.key`` for one record written on ``topic``."""
        assert self._mac is not None, "load() first"
        return [*mac_headers(self._mac, self.key_id, topic, key, value)]
