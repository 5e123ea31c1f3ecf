"""The OASIS CAP 1.2 examples as RAX alerts: times moved to now, RAX fields added, identifiers tagged.

Read with ElementTree (not the CAP connector) so that the control-app tests depend on the examples only.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from schemas.alerts import Alert

__all__ = ["cap", "cap_sequence", "geocode"]

CAP_DIR = Path(__file__).resolve().parents[1] / "data" / "cap" / "official"
_NS = "{urn:oasis:names:tc:emergency:cap:1.2}"
_REPEATED = {"info", "category", "responseType", "eventCode", "parameter", "resource", "area", "geocode",
             "polygon", "circle"}  # fmt: skip


def _element(el: ET.Element) -> Any:
    children = list(el)
    if not children:
        return (el.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        tag = child.tag.removeprefix(_NS)
        if tag in _REPEATED:
            out.setdefault(tag, []).append(_element(child))
        else:
            out[tag] = _element(child)
    return out


def cap(name: str, shift: timedelta, **rax: Any) -> dict[str, Any]:
    """A CAP example as a dict of CAP element names, its times moved by ``shift``, RAX fields added."""
    data: dict[str, Any] = _element(ET.parse(CAP_DIR / f"oasis_cap12_{name}.xml").getroot())
    data["sent"] = (datetime.fromisoformat(data["sent"]) + shift).isoformat()
    for info in data.get("info", []):
        for name in ("effective", "onset", "expires"):
            if name in info:
                info[name] = (datetime.fromisoformat(info[name]) + shift).isoformat()
    return data | rax


def geocode(region: str) -> dict[str, str]:
    return {"valueName": "GB/T 2260", "value": region}


def cap_sequence(tag: str) -> list[Alert]:
    """The four examples with RAX fields; the earthquake Update framed by its Alert and a Cancel.

    Identifiers get ``tag`` so that tests never share an alert.
    """
    shift = datetime.now(UTC).replace(microsecond=0) - datetime(2003, 6, 17, 22, 0, tzinfo=UTC)
    # sent two months before the others: moved on its own, so that it is not older than a zone accepts
    homeland_sent = datetime.fromisoformat(cap("HomelandAlert", timedelta(0))["sent"])
    homeland_shift = datetime.now(UTC).replace(microsecond=0) - homeland_sent
    homeland = cap("HomelandAlert", homeland_shift, sender_region="510000", category="terrorism")
    storm = cap("ThunderstormWarning", shift, sender_region="500153", category="other")
    storm["info"][0]["parameter"] = [{"valueName": "rax.scope", "value": "adjacent"}]
    amber = cap("AmberAlert", shift, sender_region="500000", category="missing_person")
    for info in amber["info"]:
        info["area"][0]["geocode"].append(geocode("510521"))
    first = cap("EarthquakeReport", shift, sender_region="500000", category="fugitive")
    first = {k: v for k, v in first.items() if k != "references"}
    first |= {"identifier": "TRI13970876.1", "msgType": "Alert", "target_regions": ["510000"]}
    first["sent"] = (datetime.fromisoformat("2003-06-11T20:30:00-07:00") + shift).isoformat()
    update = cap("EarthquakeReport", shift, sender_region="500000", category="fugitive")
    update["info"][0]["area"][0]["geocode"] = [geocode("510521")]
    alerts = [Alert.model_validate(d) for d in (homeland, storm, amber, first)]
    alerts = [a.model_copy(update={"identifier": f"{a.identifier}-{tag}"}) for a in alerts]
    quake1 = alerts[3]
    update["identifier"] = f"TRI13970876.2-{tag}"
    update["references"] = [quake1.as_reference().model_dump()]
    quake2 = Alert.model_validate(update)
    cancel = {k: v for k, v in update.items() if k not in ("info", "references")}
    cancel |= {
        "identifier": f"TRI13970876.3-{tag}",
        "msgType": "Cancel",
        "sent": quake2.sent + timedelta(minutes=5),
    }
    cancel["references"] = [quake1.as_reference(), quake2.as_reference()]
    return [*alerts, quake2, Alert.model_validate(cancel)]
