"""The zone in force for the control app: the newest revision of the zone served, from the zone topic."""

from __future__ import annotations

import logging
from collections.abc import Callable

from schemas.codec import DecodeError, decode
from schemas.zone import Zone, ZoneObject

__all__ = ["ZoneState"]

log = logging.getLogger(__name__)


class ZoneState:
    """Follows the records of the compacted zone topic (fed by ``GlobalTables``); ``name`` None serves the
    first zone found. Records of other zones, and older revisions, change nothing."""

    def __init__(self, name: str | None, on_change: Callable[[ZoneObject], None] | None = None) -> None:
        self.name = name
        self.current: ZoneObject | None = None
        self._on_change = on_change

    @property
    def zone(self) -> Zone | None:
        return self.current.zone if self.current is not None else None

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """One record of the zone topic; raises ``ValueError`` if it cannot be read."""
        if value is None:
            return
        try:
            obj = decode(value, ZoneObject)
        except DecodeError as exc:
            raise ValueError(str(exc)) from exc
        if self.name is None:
            self.name = obj.zone.name
        if obj.zone.name != self.name or (key is not None and key != obj.key.encode()):
            return
        if self.current is None or obj.revision >= self.current.revision:
            self.current = obj
            log.info("zone %s revision %d in force", obj.zone.name, obj.revision)
            if self._on_change is not None:
                self._on_change(obj)
