"""Distances between checkpoint sites: great-circle kilometres times a road factor."""

from __future__ import annotations

import math

from schemas.escalation import CheckpointSite

__all__ = ["Sites", "road_km"]

_EARTH_KM = 6371.0088


def great_circle_km(a: CheckpointSite, b: CheckpointSite) -> float:
    """Haversine distance between two sites, km."""
    la1, la2 = math.radians(a.lat), math.radians(b.lat)
    dla, dlo = la2 - la1, math.radians(b.lon - a.lon)
    h = math.sin(dla / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlo / 2) ** 2
    return 2 * _EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def road_km(a: CheckpointSite, b: CheckpointSite, default_factor: float) -> float:
    """The shortest plausible road distance: straight line times the smaller of the sites' factors."""
    factors = [f for f in (a.road_factor, b.road_factor) if f is not None]
    return great_circle_km(a, b) * (min(factors) if factors else default_factor)


class Sites(dict[str, CheckpointSite]):
    """The zone's checkpoint sites by id, remembering each pair's road distance once computed: the clone
    rule asks for the same few hundred pairs read after read (a new ``Sites`` comes with a new zone)."""

    __slots__ = ("_km",)

    def __init__(self, sites: dict[str, CheckpointSite]) -> None:
        super().__init__(sites)
        self._km: dict[tuple[str, str, float], float] = {}

    def road_km(self, a: str, b: str, default_factor: float) -> float:
        """``road_km`` between the sites ``a`` and ``b`` (ids)."""
        key = (a, b, default_factor)
        km = self._km.get(key)
        if km is None:
            km = self._km[key] = road_km(self[a], self[b], default_factor)
        return km
