"""The demo's record protection: key pairs and MAC keys for every member, the zone's matching key, the
processors' at-rest key, and blind owners.

Only for a zone whose agreements seal (the 粤港澳 example): the demo plays every region, so it makes
each member's key pairs and MAC key in one store under the demo's home (a real region keeps its own),
adds the public keys to the zone it applies, exports the MAC keys to the processors' store, and makes
the zone's matching key for the hot path and the processors' at-rest key. The processors then require a
valid MAC and batch signature on every region's record (``processor_args``), which the simulators
(``connector_args``) and the demo's own publisher (``ops.demo.signed``) put on. A member whose every
agreement it grants is sealed places its entries blind (``schemas.blind_entries``): in the 粤港澳 zone,
Hong Kong and Macau.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ops.keys import KeyStore
from ops.keys.matching import add_matching_key
from ops.keys.rest import create_rest_keys
from schemas.blind import MatchingKey
from schemas.blind_entries import make_blind
from schemas.watchlist import PlaceCommand
from schemas.zone import Zone

__all__ = ["DemoProtection", "protect"]


@dataclass(frozen=True)
class DemoProtection:
    """What the demo's processes and consoles need to seal, open and match blind; empty when off."""

    zone: Zone
    keys_dir: Path | None = None
    matching_file: Path | None = None
    matching_key: MatchingKey | None = None
    blind_owners: frozenset[str] = field(default_factory=frozenset)
    rest_file: Path | None = None  # the processors' at-rest key: their own topics sealed on the broker
    mac_dir: Path | None = None  # the processors' MAC key store (every member's <region>.mac)

    def processor_args(self) -> tuple[str, ...]:
        """What `rax run hotpath|control|escalate` need: a valid MAC and batch signature required of
        every region's record, the keys from the processors' store and the zone on rax.zone."""
        if self.mac_dir is None:
            return ()
        return (
            "--mac",
            "required",
            "--mac-keys",
            str(self.mac_dir),
            "--sig",
            "required",
            "--sign-keys",
            "zone",
        )

    def connector_args(self, region: str) -> tuple[str, ...]:
        """What a connector of ``region`` needs to MAC and sign its records (and its alerts)."""
        if self.keys_dir is None:
            return ()
        mac_file = KeyStore(self.keys_dir).mac_path(region)
        return ("--mac-key", str(mac_file), "--sign-key", str(self.keys_dir))

    def place(self, commands: list[PlaceCommand], now: datetime) -> list[PlaceCommand]:
        """``commands`` with the blind owners' exact (non-partial) entries made blind."""
        if self.matching_key is None:
            return commands
        out = []
        for cmd in commands:
            e = cmd.entry
            if e.owner in self.blind_owners and e.plate is not None and not e.is_partial:
                cmd = cmd.model_copy(update={"entry": make_blind(e, self.matching_key, self.zone, now)})
            out.append(cmd)
        return out

    def lines(self) -> list[str]:
        """What to print about it."""
        if self.keys_dir is None:
            return []
        sealed = sorted(a.agreement_id for a in self.zone.agreements if a.seal)
        blind = ", ".join(sorted(self.blind_owners)) or "none"
        lines = [f"sealed agreements: {len(sealed)}; blind entries from: {blind}; keys in {self.keys_dir}"]
        if self.mac_dir is not None:
            lines.append("every region's records carry its MAC and batch signature; processors require both")
        if self.rest_file is not None:
            lines.append(
                "processors' own topics sealed at rest (changelogs, inboxes, matches, watchlist): "
                f"{self.rest_file}"
            )
        return lines


def protect(zone: Zone, home: Path, now: datetime) -> DemoProtection:
    """The demo's keys for ``zone`` (fresh each run), or nothing when none of its agreements seals."""
    if not any(a.seal for a in zone.agreements):
        return DemoProtection(zone)
    root = home / "demo" / "protection"
    shutil.rmtree(root, ignore_errors=True)
    store = KeyStore(root / "keys")
    since = now - timedelta(minutes=5)
    keys = tuple(k for r in sorted(zone.codes) for k in store.create(r, since))
    zone = Zone.model_validate({**zone.model_dump(), "keys": (*zone.keys, *keys)})
    matching_file = root / "matching.json"
    matching_key = add_matching_key(matching_file, since)
    granted: dict[str, list[bool]] = {}
    for a in zone.agreements:
        granted.setdefault(a.owner, []).append(a.seal)
    blind = frozenset(owner for owner, seals in granted.items() if all(seals))
    rest_file = root / "rest-key.json"
    create_rest_keys(rest_file, since)
    mac_dir = root / "mac-keys"
    for region in sorted(zone.codes):
        store.create_mac(region, since)
        store.export_mac(region, mac_dir)
    return DemoProtection(zone, root / "keys", matching_file, matching_key, blind, rest_file, mac_dir)
