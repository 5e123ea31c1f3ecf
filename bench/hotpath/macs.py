"""Authenticated hits for the benchmark: every region's MAC key, and the rax.mac headers a connector adds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ops.keys import KeyStore
from schemas.crypto import KeyedMac, mac_headers
from streams.runtime.macs import read_mac_file

__all__ = ["HitMacs", "make_keys"]


def make_keys(tmp: Path, regions: list[str]) -> Path:
    """A MAC key per region (the regions' stores under ``tmp``), exported to the processors' store."""
    regions_side, store = KeyStore(tmp / "region-keys"), tmp / "mac-keys"
    for region in regions:
        regions_side.create_mac(region, datetime.now(UTC) - timedelta(minutes=10))
        regions_side.export_mac(region, store)
    return store


class HitMacs:
    """The headers of a hit as its region's connector makes them (``connectors.sdk.macs``), per region."""

    def __init__(self, store: Path) -> None:
        self._keys: dict[str, tuple[KeyedMac, str]] = {}
        for path in sorted(store.glob("*.mac")):
            (key,) = read_mac_file(path)
            self._keys[key.region] = (KeyedMac(key.raw), key.key_id)

    def headers(self, region: str, topic: str, key: bytes, value: bytes) -> list[tuple[str, bytes]]:
        mac, key_id = self._keys[region]
        return list(mac_headers(mac, key_id, topic, key, value))
