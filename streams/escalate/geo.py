"""Distances between checkpoint sites: great-circle kilometres times a road factor."""

from __future__ import annotations

import math

from schemas.escalation import CheckpointSite

__all__ = ["road_km"]

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
