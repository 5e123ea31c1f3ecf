"""Pure mapping back from a RAX Alert to CAP 1.2 XML, in the XSD's element order.

Times are written at the offset they came with (``sent_offset`` …), UTC as ``-00:00`` otherwise; the
message's XML-DSig elements are written back as kept, last in the alert, where the XSD puts them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from xml.etree.ElementTree import Element, SubElement, tostring

from connectors.cap.mapping import RAX_CODE_PREFIX
from connectors.cap.parse import CAP_NS
from schemas.alerts import Alert, HandlingCode
from schemas.cap import Reference, ValuePair
from schemas.cap_info import Area, Info, Resource

__all__ = ["cap_time", "to_cap_xml"]


def cap_time(at: datetime, offset: str | None = None) -> str:
    """A CAP dateTime: seconds and a numeric offset, ``offset`` (``-07:00``) or UTC as -00:00 (no ``Z``)."""
    offset = offset or "-00:00"
    delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
    local = at.astimezone(timezone(-delta if offset[0] == "-" else delta))
    return local.strftime("%Y-%m-%dT%H:%M:%S") + offset


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _add(parent: Element, name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, datetime):
        value = cap_time(value)
    elif isinstance(value, float):
        value = _num(value)
    SubElement(parent, name).text = str(value)


def _cap_list(items: Iterable[str]) -> str | None:
    words = [f'"{i}"' if " " in i else i for i in items]
    return " ".join(words) or None


def _pairs(parent: Element, name: str, pairs: Iterable[ValuePair]) -> None:
    for pair in pairs:
        el = SubElement(parent, name)
        _add(el, "valueName", pair.name)
        _add(el, "value", pair.value)


def _reference(ref: Reference) -> str:
    return f"{ref.sender},{ref.identifier},{cap_time(ref.sent, ref.sent_offset)}"


def _resource(parent: Element, res: Resource) -> None:
    el = SubElement(parent, "resource")
    for name, value in (("resourceDesc", res.resource_desc), ("mimeType", res.mime_type), ("size", res.size),
                        ("uri", res.uri), ("derefUri", res.deref_uri), ("digest", res.digest)):  # fmt: skip
        _add(el, name, value)


def _area(parent: Element, area: Area) -> None:
    el = SubElement(parent, "area")
    _add(el, "areaDesc", area.area_desc)
    for polygon in area.polygons:
        _add(el, "polygon", " ".join(f"{_num(lat)},{_num(lon)}" for lat, lon in polygon))
    for c in area.circles:
        _add(el, "circle", f"{_num(c.lat)},{_num(c.lon)} {_num(c.radius_km)}")
    _pairs(el, "geocode", area.geocodes)
    _add(el, "altitude", area.altitude)
    _add(el, "ceiling", area.ceiling)


def _info(parent: Element, info: Info) -> None:
    el = SubElement(parent, "info")
    _add(el, "language", info.language)
    for cat in info.categories:
        _add(el, "category", cat.value)
    _add(el, "event", info.event)
    for rt in info.response_types:
        _add(el, "responseType", rt.value)
    for name in ("urgency", "severity", "certainty"):
        _add(el, name, getattr(info, name).value)
    _add(el, "audience", info.audience)
    _pairs(el, "eventCode", info.event_codes)
    for name in ("effective", "onset", "expires"):
        at = getattr(info, name)
        _add(el, name, None if at is None else cap_time(at, getattr(info, f"{name}_offset")))
    for name, value in (("senderName", info.sender_name), ("headline", info.headline),
                        ("description", info.description), ("instruction", info.instruction),
                        ("web", info.web), ("contact", info.contact)):  # fmt: skip
        _add(el, name, value)
    _pairs(el, "parameter", info.parameters)
    for res in info.resources:
        _resource(el, res)
    for area in info.areas:
        _area(el, area)


def _rax_codes(alert: Alert) -> list[str]:
    codes = [f"{RAX_CODE_PREFIX}category={alert.category.value}"]
    if alert.action_code is not None:
        codes.append(f"{RAX_CODE_PREFIX}action={alert.action_code.value}")
    if alert.handling_code is not HandlingCode.H0:
        codes.append(f"{RAX_CODE_PREFIX}handling={alert.handling_code.value}")
    codes += [f"{RAX_CODE_PREFIX}plate={p}" for p in alert.plates]
    codes += [f"{RAX_CODE_PREFIX}target={r}" for r in alert.target_regions]
    return codes


def to_cap_xml(alert: Alert, *, rax_codes: bool = True) -> bytes:
    """The CAP 1.2 document of ``alert`` (UTF-8, with declaration); RAX fields as ``RAX:`` codes."""
    root = Element("alert", xmlns=CAP_NS)
    sent = cap_time(alert.sent, alert.sent_offset)
    for name, value in (("identifier", alert.identifier), ("sender", alert.sender), ("sent", sent),
                        ("status", alert.status.value), ("msgType", alert.msg_type.value),
                        ("source", alert.source), ("scope", alert.scope.value),
                        ("restriction", alert.restriction),
                        ("addresses", _cap_list(alert.addresses))):  # fmt: skip
        _add(root, name, value)
    for code in (*alert.codes, *(_rax_codes(alert) if rax_codes else ())):
        _add(root, "code", code)
    _add(root, "note", alert.note)
    _add(root, "references", " ".join(_reference(r) for r in alert.references) or None)
    _add(root, "incidents", _cap_list(alert.incidents))
    for info in alert.info:
        _info(root, info)
    xml = tostring(root, encoding="utf-8", xml_declaration=True)
    if not alert.signatures:
        return xml
    end = xml.rindex(b"</alert>")  # the kept elements go in as they are, byte for byte
    return xml[:end] + "".join(alert.signatures).encode("utf-8") + xml[end:]
