"""The GB/T 2260 region registry: province, city and county codes, their names and their nesting.

Loaded once from the packaged copies in ``schemas/data`` (see ``schemas/data/README.md``):

* ``regions.csv``: the focus provinces down to county level, plus Hong Kong (81) and Macau (82);
* ``provinces.csv``: every province, so a province outside the focus list is still a known region
  (registered as ``<2 digits>0000``, level ``province``, no children).

Decisions about the source data:

* municipalities keep their pseudo-cities 市辖区 (``xx01``) and 县 (``xx02``): a county of Chongqing is
  within ``500100`` or ``500200`` and within ``500000``;
* prefecture-level cities without counties (东莞 441900, 中山 442000) are listed twice in the source,
  once as a city and once as a county whose parent is itself; the self-parented row is dropped and the
  code stays a city;
* the non-standard Hong Kong and Macau district codes (level ``district_nonstandard``) are kept as
  ``county`` level regions directly under their province, so lookups and ``is_within`` work for them.

``RegionRegistry`` is immutable once built; ``registry()`` returns the one shared instance.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

__all__ = ["Region", "RegionLevel", "RegionRegistry", "UnknownRegion", "check_region", "registry"]

RegionLevel = Literal["province", "city", "county"]

_CODE = re.compile(r"[0-9]{6}")
_LEVELS: dict[str, RegionLevel] = {
    "province": "province",
    "city": "city",
    "county": "county",
    "district_nonstandard": "county",
}


@dataclass(frozen=True)
class Region:
    """One administrative region: its 6-digit code, name, level and the code of its parent."""

    code: str
    name: str
    level: str
    parent: str | None


class UnknownRegion(ValueError):
    """A region code that is malformed or not in the registry."""

    def __init__(self, code: object) -> None:
        self.code = code
        if isinstance(code, str) and _CODE.fullmatch(code):
            message = f"unknown region code {code!r}: not a GB/T 2260 code in the registry"
        else:
            message = f"malformed region code {code!r}: a region code must be 6 digits"
        super().__init__(message)


class RegionRegistry:
    """Lookups over a fixed set of regions; built once from data and never changed afterwards."""

    def __init__(self, regions: list[Region]) -> None:
        self._by_code: dict[str, Region] = {r.code: r for r in regions}
        children: dict[str, list[str]] = {}
        for region in regions:
            if region.parent is not None:
                if region.parent not in self._by_code:
                    raise ValueError(f"region {region.code} has unknown parent {region.parent}")
                children.setdefault(region.parent, []).append(region.code)
        self._children = {code: tuple(sorted(kids)) for code, kids in children.items()}
        self._ancestors = {code: tuple(self._walk_up(code)) for code in self._by_code}

    def _walk_up(self, code: str) -> list[str]:
        chain: list[str] = []
        parent = self._by_code[code].parent
        while parent is not None:
            if parent in chain or parent == code:
                raise ValueError(f"region {code} has a cycle in its parents")
            chain.append(parent)
            parent = self._by_code[parent].parent
        return chain

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Region:
        """The region with this code; raises UnknownRegion."""
        try:
            return self._by_code[code]
        except (KeyError, TypeError):
            raise UnknownRegion(code) from None

    def name(self, code: str) -> str:
        """The region's name, e.g. 四川省 for 510000."""
        return self.get(code).name

    def parent(self, code: str) -> str | None:
        """The parent region's code, None for a province."""
        return self.get(code).parent

    def ancestors(self, code: str) -> list[str]:
        """Codes of every enclosing region, nearest first (county -> city -> province)."""
        self.get(code)
        return list(self._ancestors[code])

    def is_within(self, code: str, ancestor: str) -> bool:
        """True if ``code`` is ``ancestor`` or lies inside it; both codes must be known."""
        self.get(code)
        self.get(ancestor)
        return code == ancestor or ancestor in self._ancestors[code]

    def children(self, code: str) -> list[str]:
        """Codes of the regions directly inside this one, sorted."""
        self.get(code)
        return list(self._children.get(code, ()))

    def province_of(self, code: str) -> str:
        """The code of the province that contains (or is) this region."""
        chain = self.ancestors(code)
        return chain[-1] if chain else code

    def codes(self) -> list[str]:
        """Every code in the registry, sorted."""
        return sorted(self._by_code)


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("schemas").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _load() -> RegionRegistry:
    regions: dict[str, Region] = {}
    for row in _read_csv("regions.csv"):
        code, parent = row["code6"], row["parent_code6"] or None
        if parent == code:
            continue  # 东莞/中山: the city already stands for itself
        regions[code] = Region(code=code, name=row["name"], level=_LEVELS[row["level"]], parent=parent)
    for row in _read_csv("provinces.csv"):
        code = f"{row['code']}0000"
        regions.setdefault(code, Region(code=code, name=row["name"], level="province", parent=None))
    return RegionRegistry(list(regions.values()))


@cache
def registry() -> RegionRegistry:
    """The shared registry, loaded from the packaged data on first use."""
    return _load()


def check_region(code: str) -> str:
    """Return ``code`` if it is a known region, else raise UnknownRegion (usable as an AfterValidator)."""
    if code in registry():
        return code
    raise UnknownRegion(code)
