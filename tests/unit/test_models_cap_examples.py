"""The four CAP 1.2 specification examples validate as alerts, given as dicts of CAP element names."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.alerts import Alert
from schemas.cap import CapCategory, MsgType, Reference
from schemas.cap_info import Circle
from schemas.codec import decode, encode

# The four CAP 1.2 examples: a copy in the repository if there is one, else the shared reference data.
_CAP_DIRS = [
    Path(__file__).resolve().parents[1] / "data" / "cap" / "official",
    Path("/work/shared/data/cap/official"),
]
CAP_DIR = next((d for d in _CAP_DIRS if d.is_dir()), _CAP_DIRS[0])
if not CAP_DIR.is_dir():
    pytest.skip(f"CAP 1.2 examples not found in {[str(d) for d in _CAP_DIRS]}", allow_module_level=True)
_NS = "{urn:oasis:names:tc:emergency:cap:1.2}"
_REPEATED = {"code", "info", "category", "responseType", "eventCode", "parameter", "resource", "area",
             "polygon", "circle", "geocode"}  # fmt: skip


def _element(el: ET.Element) -> Any:
    children = list(el)
    if not children:
        return (el.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        tag = child.tag.removeprefix(_NS)
        value = _element(child)
        if tag in _REPEATED:
            out.setdefault(tag, []).append(value)
        else:
            out[tag] = value
    return out


def cap_dict(path: Path) -> dict[str, Any]:
    """A CAP XML document as a dict keyed by CAP element names (what a CAP connector would build)."""
    data: dict[str, Any] = _element(ET.parse(path).getroot())
    return data


RAX_FIELDS = {"sender_region": "510000", "category": "other"}


def _official() -> list[Path]:
    paths = sorted(CAP_DIR.glob("*.xml"))
    assert len(paths) == 4, "the four CAP 1.2 examples are expected in /work/shared/data/cap/official"
    return paths


@pytest.mark.parametrize("path", _official(), ids=lambda p: p.stem)
def test_official_cap_examples_validate_with_cap_element_names(path: Path) -> None:
    data = cap_dict(path) | RAX_FIELDS
    a = Alert.model_validate(data)
    assert a.identifier == data["identifier"]
    assert len(a.info) == len(data.get("info", []))
    assert decode(encode(a), Alert) == a


def test_cap_example_details_survive() -> None:
    quake = Alert.model_validate(
        cap_dict(CAP_DIR / "oasis_cap12_EarthquakeReport.xml")
        | {"sender_region": "510000", "category": "other"}
    )
    assert quake.msg_type is MsgType.UPDATE
    assert quake.references == (
        Reference(
            sender="trinet@caltech.edu",
            identifier="TRI13970876.1",
            sent=datetime(2003, 6, 12, 3, 30, tzinfo=UTC),
            sent_offset="-07:00",  # written as 2003-06-11T20:30:00-07:00
        ),
    )
    assert quake.info[0].areas[0].circles == (Circle(lat=32.9525, lon=-115.5527, radius_km=0),)
    assert quake.info[0].parameters[2].name == "Magnitude"
    storm = Alert.model_validate(
        cap_dict(CAP_DIR / "oasis_cap12_ThunderstormWarning.xml")
        | {"sender_region": "510000", "category": "other"}
    )
    polygon = storm.info[0].areas[0].polygons[0]
    assert polygon[0] == polygon[-1] == (38.47, -120.14) and len(polygon) == 5
    assert storm.info[0].categories == (CapCategory.MET,)
    assert storm.info[0].expires == datetime(2003, 6, 17, 23, 0, tzinfo=UTC)
