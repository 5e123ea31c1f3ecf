"""The simulated vehicles: plates of the zone and beyond, with colour, type and look-alike misreads."""

from __future__ import annotations

import random
from dataclasses import dataclass
from importlib import resources

from schemas.plates import PlateError, normalise_plate, read_plate
from schemas.plates.lookalikes import LOOKALIKE_CLASSES

__all__ = ["Vehicle", "misread", "vehicles"]

#: a misread swaps a serial character for another of its look-alike class (the one table of
#: ``schemas.plates.lookalikes``); not for I or O, which the normaliser reads back as 1 and 0
_SWAP = {c: cls.replace(c, "").replace("I", "").replace("O", "") for cls in LOOKALIKE_CLASSES for c in cls}
_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O
#: authority letters in use in the zone (川A 成都 … 川Z; 渝A–渝D, 渝F–渝H)
_ZONE_LETTERS = {"川": "ABCDEFHJKLMQRSTUVWXYZ", "渝": "ABCDFGH"}


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One vehicle: its plate as a reader reports it, the plate type (hpzl) and colour (hpys)."""

    plate: str
    hpzl: str
    colour: str


def _ccpd() -> list[str]:
    text = resources.files("schemas").joinpath("data", "ccpd_balanced_sample.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _serial(rng: random.Random, n: int = 5) -> str:
    chars = [rng.choice(_DIGITS) for _ in range(n)]
    if rng.random() < 0.35:
        chars[rng.randrange(n)] = rng.choice(_LETTERS)
    return "".join(chars)


def _zone_prefix(rng: random.Random) -> str:
    province = "川" if rng.random() < 0.55 else "渝"
    return province + rng.choice(_ZONE_LETTERS[province])


def _make(kind: str, rng: random.Random, ccpd: list[str]) -> Vehicle:
    prefix = _zone_prefix(rng)
    if kind == "ccpd":  # a real plate from the CCPD sample: traffic from elsewhere in China
        return Vehicle(rng.choice(ccpd), "02", "blue")
    if kind == "car":  # a zone plate with a real CCPD serial
        return Vehicle(prefix + rng.choice(ccpd)[2:], "02", "blue")
    if kind == "truck":
        return Vehicle(prefix + _serial(rng), "01", "yellow")
    if kind == "trailer":
        return Vehicle(prefix + _serial(rng, 4) + "挂", "15", "yellow")
    if kind == "ev_small":
        return Vehicle(
            prefix + rng.choice("DF") + rng.choice(_DIGITS + "ABC") + _serial(rng, 4), "52", "green"
        )
    if kind == "ev_large":
        return Vehicle(prefix + "".join(rng.choice(_DIGITS) for _ in range(5)) + rng.choice("DF"), "51",
                       "yellow_green")  # fmt: skip
    if kind == "police":
        return Vehicle(prefix + "".join(rng.choice(_DIGITS) for _ in range(4)) + "警", "23", "white")
    if kind == "coach":
        return Vehicle(prefix + "".join(rng.choice(_DIGITS) for _ in range(4)) + "学", "16", "yellow")
    raise ValueError(kind)


#: the traffic mix: (kind, share)
_MIX = (
    ("car", 0.62),
    ("ccpd", 0.08),
    ("truck", 0.12),
    ("trailer", 0.03),
    ("ev_small", 0.10),
    ("ev_large", 0.02),
    ("police", 0.015),
    ("coach", 0.015),
)


def vehicles(count: int, seed: int) -> list[Vehicle]:
    """``count`` distinct vehicles with valid plates, the same for the same seed."""
    rng = random.Random(f"vehicles:{seed}")
    ccpd = [p for p in _ccpd() if len(p) == 7]
    kinds = [k for k, _ in _MIX]
    weights = [w for _, w in _MIX]
    seen: set[str] = set()
    out: list[Vehicle] = []
    while len(out) < count:
        vehicle = _make(rng.choices(kinds, weights)[0], rng, ccpd)
        try:
            text = normalise_plate(vehicle.plate).text
        except PlateError:
            continue
        if text not in seen:
            seen.add(text)
            out.append(Vehicle(text, vehicle.hpzl, vehicle.colour))
    return out


def misread(plate: str, rng: random.Random) -> str | None:
    """``plate`` with one serial character swapped for a look-alike, normalised as a read (None if
    the swap gave the plate itself, or no read)."""
    positions = [i for i, c in enumerate(plate) if i >= 2 and c in _SWAP]
    if not positions:
        return None
    i = rng.choice(positions)
    candidate = plate[:i] + rng.choice(_SWAP[plate[i]]) + plate[i + 1 :]
    try:
        text = read_plate(candidate).text
    except PlateError:
        return None
    return text if text != plate else None
