"""The simulated vehicles: plates of the zone and beyond, with colour, type and look-alike misreads.

A region's checkpoints read the traffic ``fleet`` gives it: in 川渝 one fleet shared by both sides (so a
vehicle crosses the border); elsewhere the region's own fleet, mostly plates of its jurisdiction with a
share from across its borders (粤 plates, Hong Kong and Macau marks and 粤Z…港/澳 cross-border plates
in 粤港澳), drawn from a seed of its own. Two regions' fleets must not share a plate: each simulator
draws its vehicles independently, so a plate in two fleets is read in both regions within seconds — two
cars on one plate, which the cloned-plate rule rightly reports (the 粤港澳 demo opened ten such
operations in 90 s when 深圳 and 珠海 shared ~1,900 plates). So a plate belongs to one of ``_SHARES``
shares by a hash of its text, and a region keeps only the plates of its own share (``_share_of``).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from importlib import resources

from connectors.simulator.zone import sides
from schemas.plates import PlateError, normalise_plate, read_plate
from schemas.plates.lookalikes import LOOKALIKE_CLASSES
from schemas.plates.rules import PROVINCES
from schemas.regions import registry

__all__ = ["Vehicle", "fleet", "misread", "traffic_mix", "vehicles"]

#: a misread swaps a serial character for another of its look-alike class (the one table of
#: ``schemas.plates.lookalikes``); not for I or O, which the normaliser reads back as 1 and 0
_SWAP = {c: cls.replace(c, "").replace("I", "").replace("O", "") for cls in LOOKALIKE_CLASSES for c in cls}
_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O
#: authority letters in use in the zone (川A 成都 … 川Z; 渝A–渝D, 渝F–渝H)
_ZONE_LETTERS = {"川": "ABCDEFHJKLMQRSTUVWXYZ", "渝": "ABCDFGH"}
#: authority letters of other provinces' plates (粤Z is the cross-border series, not drawn here)
_AUTHORITY_LETTERS = {"粤": "ABCDEFGHJKLMNPQRSTUVWXY"}
_HK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q
#: province character of a mainland province code
_CHARACTERS = {f"{code}0000": char for char, code in PROVINCES.items()}


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


def _make(kind: str, rng: random.Random, ccpd: list[str], prefix: str) -> Vehicle:
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
        vehicle = _make(rng.choices(kinds, weights)[0], rng, ccpd, _zone_prefix(rng))
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


def _hong_kong(rng: random.Random) -> Vehicle:
    """A traditional Hong Kong mark (up to 2 letters, 1-4 digits), read at the rear: yellow."""
    letters = "".join(rng.choice(_HK_LETTERS) for _ in range(rng.choice((2, 2, 2, 1))))
    return Vehicle(letters + str(rng.randint(1, 9999)), "99", "yellow")


def _macau(rng: random.Random) -> Vehicle:
    """A Macau plate, white on black: ``MA-12-34`` (and the newer ``AA-12-34`` series)."""
    series = "M" + rng.choice(_HK_LETTERS) if rng.random() < 0.8 else "A" + rng.choice("ABCDEFGH")
    return Vehicle(f"{series}-{rng.randint(0, 99):02d}-{rng.randint(0, 99):02d}", "99", "black")


def _cross_border(rng: random.Random, suffix: str) -> Vehicle:
    """A mainland cross-border plate of a Hong Kong (港, hpzl 26) or Macau (澳, 27) vehicle: 粤Z1234港."""
    return Vehicle("粤Z" + _serial(rng, 4) + suffix, "26" if suffix == "港" else "27", "black")


def traffic_mix(region: str) -> tuple[tuple[str, float], ...]:
    """What the checkpoints of ``region`` read, as (origin, share): a province character (that
    province's plates), ``HK`` / ``MO`` (Hong Kong / Macau marks), ``港`` / ``澳`` (粤Z cross-border)."""
    province = registry().province_of(region)
    if province == "810000":
        return (("HK", 0.75), ("港", 0.15), ("粤", 0.10))
    if province == "820000":
        return (("MO", 0.70), ("澳", 0.15), ("粤", 0.15))
    char = _CHARACTERS[province]
    if char == "粤":  # the Northbound schemes bring Hong Kong and Macau plates onto Guangdong's roads
        return (("粤", 0.82), ("港", 0.06), ("澳", 0.04), ("HK", 0.05), ("MO", 0.03))
    return ((char, 1.0),)


def _vehicle(origin: str, rng: random.Random, ccpd: list[str]) -> Vehicle:
    if origin == "HK":
        return _hong_kong(rng)
    if origin == "MO":
        return _macau(rng)
    if origin in ("港", "澳"):
        return _cross_border(rng, origin)
    kind = rng.choices([k for k, _ in _MIX], [w for _, w in _MIX])[0]
    return _make(kind, rng, ccpd, origin + rng.choice(_AUTHORITY_LETTERS.get(origin, "ABCDEFGH")))


#: how many shares the plates of fleets outside 川渝 are split into, and the salt that gives 广东 and its
#: four example members (ops/zones/yuegangao.yaml) a share each; regions whose shares coincide (one in
#: eight of other pairs) share a fleet's plates as before
_SHARES = 8
_SHARE_SALT = "fleet4:"


def _share(text: str) -> int:
    return hashlib.blake2b(text.encode(), digest_size=1).digest()[0] % _SHARES


def _share_of(region: str) -> int:
    """The share of the plate space whose vehicles ``region``'s fleet holds."""
    return _share(_SHARE_SALT + region)


def fleet(region: str, count: int, seed: int) -> list[Vehicle]:
    """The ``count`` vehicles the checkpoints of ``region`` read, the same for the same seed; the
    first ``n`` of a longer fleet are the fleet of ``n`` (the simulator draws its first ones most).

    A 川渝 region reads the zone's shared fleet (``vehicles``); any other region its own traffic
    (``traffic_mix``), from a seed of its own.
    """
    if registry().province_of(region) in sides("chuanyu"):
        return vehicles(count, seed)
    mix = traffic_mix(region)
    rng = random.Random(f"fleet:{seed}:{region}")
    ccpd = [p for p in _ccpd() if len(p) == 7]
    seen: set[str] = set()
    out: list[Vehicle] = []
    origins, weights, mine = [o for o, _ in mix], [w for _, w in mix], _share_of(region)
    while len(out) < count:
        vehicle = _vehicle(rng.choices(origins, weights)[0], rng, ccpd)
        if _share(vehicle.plate) != mine:  # another region's vehicle (generated plates are canonical)
            continue
        try:
            text = normalise_plate(vehicle.plate).text
        except PlateError:
            continue
        if text not in seen:
            seen.add(text)
            out.append(Vehicle(text, vehicle.hpzl, vehicle.colour))
    return out
