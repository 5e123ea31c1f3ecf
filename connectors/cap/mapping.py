"""Pure mapping between a CAP 1.2 ``<alert>`` element and the RAX Alert's fields.

The RAX fields CAP lacks travel as alert-level ``<code>`` elements, ``RAX:<field>=<value>``
(``RAX:category=stolen_vehicle``, ``RAX:plate=川A12345``, ``RAX:target=510521``,
``RAX:action=intercept``, ``RAX:handling=H2``): codes are CAP's place for handling codes and exist even
in a message without ``<info>``. Other codes pass through unchanged. An info block without
``<language>`` is en-US, as CAP says, and is written back with the language stated. Times are passed on
as written: the ``Alert`` model keeps each one's offset beside its UTC instant. XML-DSig elements and the
EDXL-DE distribution come from ``parse.read_document`` (``message_fields``).
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from connectors.cap.parse import CAP_NS, CapMessage

__all__ = ["RAX_CODE_PREFIX", "alert_fields", "message_fields"]

RAX_CODE_PREFIX = "RAX:"
_N = f"{{{CAP_NS}}}"
#: RAX code name -> (Alert field, repeated)
RAX_CODES = {
    "category": ("category", False),
    "action": ("action_code", False),
    "handling": ("handling_code", False),
    "plate": ("plates", True),
    "target": ("target_regions", True),
}


def _text(el: Element, name: str) -> str | None:
    child = el.find(_N + name)
    return child.text.strip() if child is not None and child.text is not None else None


def _texts(el: Element, name: str) -> list[str]:
    return [c.text.strip() for c in el.findall(_N + name) if c.text is not None]


def _pairs(el: Element, name: str) -> list[dict[str, str]]:
    return [
        {"valueName": _text(p, "valueName") or "", "value": _text(p, "value") or ""}
        for p in el.findall(_N + name)
    ]


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != []}


def _area(el: Element) -> dict[str, Any]:
    return _drop_none(
        {
            "areaDesc": _text(el, "areaDesc"),
            "polygon": _texts(el, "polygon"),
            "circle": _texts(el, "circle"),
            "geocode": _pairs(el, "geocode"),
            "altitude": _text(el, "altitude"),
            "ceiling": _text(el, "ceiling"),
        }
    )


def _resource(el: Element) -> dict[str, Any]:
    names = ("resourceDesc", "mimeType", "size", "uri", "derefUri", "digest")
    return _drop_none({n: _text(el, n) for n in names})


def _info(el: Element) -> dict[str, Any]:
    single = ("event", "urgency", "severity", "certainty", "audience", "effective", "onset", "expires",
              "senderName", "headline", "description", "instruction", "web", "contact")  # fmt: skip
    out: dict[str, Any] = {"language": _text(el, "language") or "en-US"}
    out |= {
        "category": _texts(el, "category"),
        "responseType": _texts(el, "responseType"),
        "eventCode": _pairs(el, "eventCode"),
        "parameter": _pairs(el, "parameter"),
        "resource": [_resource(r) for r in el.findall(_N + "resource")],
        "area": [_area(a) for a in el.findall(_N + "area")],
    }
    out |= {name: _text(el, name) for name in single}
    return _drop_none(out)


def alert_fields(root: Element, *, sender_region: str, default_category: str) -> dict[str, Any]:
    """The Alert fields of a validated CAP ``<alert>``, validated later by the runtime."""
    single = ("identifier", "sender", "sent", "status", "msgType", "source", "scope", "restriction",
              "addresses", "note", "references", "incidents")  # fmt: skip
    fields: dict[str, Any] = {name: _text(root, name) for name in single}
    codes: list[str] = []
    rax: dict[str, Any] = {"category": default_category}
    for code in _texts(root, "code"):
        name, eq, value = code.removeprefix(RAX_CODE_PREFIX).partition("=")
        if code.startswith(RAX_CODE_PREFIX) and eq and name in RAX_CODES:
            field, repeated = RAX_CODES[name]
            if repeated:
                rax.setdefault(field, []).append(value)
            else:
                rax[field] = value
        else:
            codes.append(code)
    fields |= {"code": codes, "info": [_info(i) for i in root.findall(_N + "info")]}
    return _drop_none({**fields, **rax, "sender_region": sender_region})


def message_fields(msg: CapMessage, *, sender_region: str, default_category: str) -> dict[str, Any]:
    """The Alert fields of one message of ``read_document``: its alert, signatures and distribution."""
    fields = alert_fields(msg.root, sender_region=sender_region, default_category=default_category)
    extra = {"signatures": list(msg.signatures), "distribution": msg.distribution}
    return fields | _drop_none(extra)
