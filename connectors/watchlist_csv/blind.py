"""Turns the place commands of a watchlist file into blind ones on the owner's side, before Kafka."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from connectors.sdk import FatalError
from schemas.blind import MatchingKey, load_matching_keys
from schemas.blind_entries import make_blind
from schemas.watchlist import PlaceCommand
from schemas.zone import Zone
from streams.runtime.macs import MacStoreError, read_private_file

__all__ = ["Blinder"]


class Blinder:
    """Places entries blind under the newest matching key, sealing details to the zone's entitled partners."""

    def __init__(self, key: MatchingKey, zone: Zone) -> None:
        self.key, self.zone = key, zone

    @classmethod
    def load(cls, keys_file: Path | None, zone_file: Path | None) -> Blinder | None:
        """The blinder of the configured files, or None when entries are placed in clear."""
        if keys_file is None or zone_file is None:
            return None
        try:
            keys = load_matching_keys(read_private_file(keys_file))
            zone = Zone.model_validate(yaml.safe_load(zone_file.read_text(encoding="utf-8")))
        except (MacStoreError, ValidationError, OSError, yaml.YAMLError) as exc:
            raise FatalError(f"cannot place blind entries: {exc}") from None
        if not keys:
            raise FatalError(f"{keys_file} holds no matching key: rax keys matching create {keys_file}")
        return cls(max(keys, key=lambda k: (k.valid_from, k.key_id)), zone)

    def command(self, fields: dict[str, Any]) -> dict[str, Any]:
        """A place command's fields with its entry blind; other commands unchanged. Raises ValueError."""
        if fields.get("op") != "place":
            return fields
        cmd = PlaceCommand.model_validate(fields)
        blind = make_blind(cmd.entry, self.key, self.zone, datetime.now(UTC))
        return cmd.model_copy(update={"entry": blind}).model_dump(mode="json", exclude_none=True)
