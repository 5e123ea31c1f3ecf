"""The demo's record protection: key pairs for every member, the zone's matching key, and blind owners.

Only for a zone whose agreements seal (the 粤港澳 example): the demo plays every region, so it makes
each member's key pairs in one store under the demo's home (a real region keeps its own), adds the
public keys to the zone it applies, and makes the zone's matching key for the hot path. A member whose
every agreement it grants is sealed places its entries blind (``schemas.blind_entries``): in the
粤港澳 zone, Hong Kong and Macau.
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
        if self.rest_file is not None:
            lines.append(
                f"processors' own topics sealed at rest (changelogs, inboxes, matches): {self.rest_file}"
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
    return DemoProtection(zone, root / "keys", matching_file, matching_key, blind, rest_file)
