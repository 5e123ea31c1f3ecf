"""The public plate functions: normalise a raw plate at a strictness, check one for a report, the Kafka key.

``normalise_plate`` is on the hot path: one NFKC call, one ``str.translate`` and a parse of at most
nine characters, behind an LRU cache because checkpoint reads repeat the same plates all day. The
cache holds the parse, which serves both strictnesses; errors are not cached.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final, TypedDict

from schemas.plates.chars import canonical, nfkc
from schemas.plates.latin import macau_unseparated
from schemas.plates.model import Plate, PlateError, PlateIssuer, PlateKind, PlateRule, Strictness, issuer_of
from schemas.plates.validate import ORDINARY, Parsed, parse

__all__ = [
    "PlateCheck",
    "check_plate",
    "entry_warnings",
    "normalise_plate",
    "normalised_ordinary",
    "plate_key",
    "read_plate",
]

#: raw input longer than this is rejected before NFKC (which can make text longer)
_MAX_RAW_LENGTH: Final = 64


class PlateCheck(TypedDict):
    """One line of a plate check report: exactly these five keys."""

    input: str
    valid: bool
    plate: str | None
    kind: str | None
    error: str | None


@lru_cache(maxsize=65536)
def _parse(raw: str) -> Parsed:
    if len(raw) > _MAX_RAW_LENGTH:
        raise PlateError(f"too long for a plate: {len(raw)} characters")
    text = nfkc(raw)
    return parse(canonical(text), text)


def normalise_plate(
    raw: str, strictness: Strictness = Strictness.ENTRY, issuer: PlateIssuer | None = None
) -> Plate:
    """The normalised Plate for ``raw`` text, accepted at ``strictness``; raises PlateError.

    ``ENTRY`` (the default) for what a person wrote, ``READ`` for what a camera reported (see
    ``Strictness``); ``Plate.breaks`` names the issuing rule an accepted text breaks. ``issuer`` is who
    the person says issued the plate: an entry must be a plate of that issuer, and a text that is only a
    Hong Kong personalised mark is an entry only with ``PlateIssuer.HONG_KONG``. A read ignores it.
    """
    if not isinstance(raw, str):
        raise PlateError(f"a plate must be text, got {type(raw).__name__}")
    plate, refusal = _parse(raw)  # unpacked: faster than the named attributes, on the hot path
    if strictness is Strictness.ENTRY:
        if issuer is PlateIssuer.MACAU and plate.kind is not PlateKind.MACAU:
            macau = macau_unseparated(plate.text)  # MA1234: Macau's MA-12-34 without its hyphens
            if macau is not None:
                plate, refusal = macau, None
        if refusal is not None:
            raise PlateError(refusal)
        if issuer is not None or plate.kind is PlateKind.HONG_KONG_PERSONALISED:
            _check_issuer(plate, issuer)
    return plate


def _check_issuer(plate: Plate, stated: PlateIssuer | None) -> None:
    issuer = issuer_of(plate.kind)
    if stated is None:  # only a Hong Kong personalised mark comes here
        raise PlateError(
            f"{plate.text!r} is no mainland, Macau or numbered Hong Kong plate; as a Hong Kong personalised "
            "mark it is accepted only when the entry states its issuer: plate_issuer hong_kong"
        )
    if issuer is not stated:
        raise PlateError(
            f"{plate.text} is a {issuer.value} plate ({plate.kind.value}), not a {stated.value} one as stated"
        )


def read_plate(raw: str) -> Plate:
    """``normalise_plate(raw, Strictness.READ)``: the plate of a camera read; raises PlateError."""
    return normalise_plate(raw, Strictness.READ)


def normalised_ordinary(text: str) -> bool:
    """Whether ``text`` is an ordinary mainland plate in normalised form that keeps every issuing rule:
    when true, ``read_plate(text)`` is that plate, unchanged and conforming
    (``tests/unit/test_plates_properties.py``).

    One regex instead of ``read_plate``'s NFKC, canonical form and parse (~0.3 µs against ~3 µs), for
    decoders that meet millions of distinct plates a day, each once or twice, past any cache: the
    characters the pattern allows (the province characters, digits, authority and serial letters) are
    left alone by NFKC and by ``canonical``, and the parser's first step is this pattern.
    """
    return ORDINARY.fullmatch(text) is not None


def plate_key(raw: str) -> str:
    """The normalised plate text of a read, the Kafka message key of a hit; raises PlateError."""
    return normalise_plate(raw, Strictness.READ).text


def entry_warnings(plate: Plate) -> tuple[str, ...]:
    """What the owner of an entry for ``plate`` should check: issuing-rule doubts, as sentences.

    Each starts with a code (the ``PlateRule`` broken, or ``hong_kong_personalised``) and a colon, and
    is at most 128 characters long.
    """
    warnings: list[str] = []
    if plate.breaks is PlateRule.SERIAL_LETTERS:
        warnings.append(
            f"{plate.breaks.value}: {plate.text} has 3 letters in its serial (GA 36 issues at most 2): "
            "check the plate"
        )
    elif plate.breaks is not None:
        warnings.append(f"{plate.breaks.value}: {plate.text} breaks an issuing rule: check the plate")
    if plate.kind is PlateKind.HONG_KONG_PERSONALISED:
        warnings.append(
            f"{plate.kind.value}: {plate.text} is taken as a Hong Kong personalised mark: check it is no typo"
        )
    return tuple(warnings)


def check_plate(
    raw: str, strictness: Strictness = Strictness.ENTRY, issuer: PlateIssuer | None = None
) -> PlateCheck:
    """A report on ``raw``: the normalised plate and kind if accepted, else what is wrong with it."""
    try:
        plate = normalise_plate(raw, strictness, issuer)
    except PlateError as exc:
        return {"input": raw, "valid": False, "plate": None, "kind": None, "error": str(exc)}
    return {"input": raw, "valid": True, "plate": plate.text, "kind": plate.kind.value, "error": None}
