"""The watchlist load's entry decoder: canonical clear entries checked without a model, the rest by the model.

A worker loads the whole compacted watchlist at start (a million entries), and ``decode`` builds a
``WatchlistEntry`` at ~35-50 µs an entry, while the worker keeps a tuple of its fields. So
``lean_entry`` returns an ``EntryView``, the tuple ``WatchlistState`` stores, straight from the record's
bytes; ``view_of`` makes the same tuple of a decoded model.

``lean_entry`` accepts only the *canonical form* of a clear entry, what ``schemas.codec.encode`` writes
(the control app's ``rax.watchlist`` records) or the same without the nulls and defaults: English field
names and no others, the entry id lower-case, owner and scope known region codes (the scope without a
repeat), category, action, priority, plate issuer and colour as their enums' values, texts printable
without a space at either end and within the model's lengths, the plate already in its normalised form
(``normalise_pattern`` returns it unchanged, for the issuer stated), tolerance an int 0..2, times UTC as
``YYYY-MM-DDTHH:MM:SS[.f]Z`` (or ``+00:00``), expiry after placement and review between them. Each
check is the model's constraint or stricter. Anything else is *declined*, not refused: a blind entry,
sealed details, a value of another JSON type, a text to strip. ``read_entry`` then
hands the bytes to ``decode``, so an invalid entry gets exactly the model's ``DecodeError`` (message
and ``DlqReason``) and a valid unusual one is still taken, at the model's price.

Why accepted entries equal the model's (``tests/unit/test_entry_lean.py`` checks it on generated valid,
broken and garbled entries):

* the plate: the model runs ``normalise_pattern`` on the raw plate (any issuer, Hong Kong as a
  fallback), then again with the stated issuer; where both return the raw plate it is kept as it is;
* the approval is validated by the model's own ``Approval`` once per distinct raw value (approvals
  repeat across entries: a region has a few) and that instance shared, which is also the interning the
  worker wants;
* texts: ``str.isprintable`` and no space at the ends stand for ``str_strip_whitespace`` and the
  ``SINGLE_LINE``/``MULTI_LINE`` patterns (``tests/unit/test_hit_lean.py`` proves it over every
  character); times as in ``schemas.hit_lean``;
* plate warnings are derived by the model from the plate, replacing a sent list once its items pass as
  short texts; the worker does not keep them, so they are checked as texts and not derived here.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pydantic import ValidationError

from schemas.codec import decode
from schemas.lean_json import json_object, utc_time
from schemas.plate_pattern import normalise_pattern
from schemas.plates import PlateIssuer
from schemas.regions import registry
from schemas.vocab import Action, Category, PlateColour, Priority
from schemas.watchlist import MAX_TOLERANCE, Approval, WatchlistEntry, _any_issuer

__all__ = ["EntryView", "lean_entry", "read_entry", "view_of"]


class EntryView(NamedTuple):
    """What the worker keeps of one clear entry (``WatchlistState``), with its times as timestamps.

    Built per record of the watchlist topic and dropped once stored.
    """

    entry_id: str
    owner: str
    category: Category
    action: Action
    priority: Priority
    plate: str
    operator: str
    legal_basis: str
    approval: Approval
    description: str | None
    scope: tuple[str, ...]
    colour: str | None  # the PlateColour's value
    tolerance: int
    expires_s: float  # expires_at.timestamp()
    placed_s: float  # placed_at.timestamp()


_FIELDS = frozenset(WatchlistEntry.model_fields)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch
_SIX_DIGITS = re.compile(r"[0-9]{6}").fullmatch
_CATEGORIES = {c.value: c for c in Category}
_ACTIONS = {a.value: a for a in Action}
_PRIORITIES = {p.value: p for p in Priority}
_ISSUERS = {i.value: i for i in PlateIssuer}
_COLOURS = frozenset(c.value for c in PlateColour)
_SHORT, _TEXT = 128, 1000  # ShortText; Text fields of the entry (legal basis, description)
_PLATE_LENGTH = 24
_CACHE = 1 << 12
_EMPTY: list[object] = []  # never changed: the default of the list fields that must be empty

_regions: set[str] = set()  # region codes known to be valid (bounded by the registry)
_approvals: dict[tuple[tuple[str, str], ...], Approval] = {}  # raw approval -> the model's (bounded)
_new = tuple.__new__  # a NamedTuple's own __new__ is a Python function


def _known_region(region: object) -> bool:
    if type(region) is not str:
        return False
    if region in _regions:
        return True
    if _SIX_DIGITS(region) is None or region not in registry():
        return False
    _regions.add(region)
    return True


def _text(value: object, limit: int) -> bool:
    """A text the model keeps as it is: printable, no space at either end, 1..limit characters."""
    return (
        type(value) is str
        and 0 < len(value) <= limit
        and value.isprintable()
        and value[0] != " "
        and value[-1] != " "
    )


def _warnings(sent: object) -> bool:
    """True for sent plate warnings the model takes (and replaces by its own): a list of short texts."""
    return type(sent) is list and all(_text(w, _SHORT) for w in sent)


def _approval(raw: object) -> Approval | None:
    """The model's ``Approval`` of a raw approval object (validated once per distinct value), or None."""
    if type(raw) is not dict:
        return None
    items = tuple(raw.items())
    for _, value in items:
        if type(value) is not str:
            return None  # only str values as keys: 1 == 1.0 == True would share one
    approval = _approvals.get(items)
    if approval is None:
        try:
            approval = Approval.model_validate(raw)
        except ValidationError:
            return None
        if len(_approvals) >= _CACHE:
            _approvals.clear()
        _approvals[items] = approval
    return approval


def _plate(plate: object, issuer: PlateIssuer | None) -> bool:
    """True when the model keeps ``plate`` as it is (see module)."""
    if type(plate) is not str or not 0 < len(plate) <= _PLATE_LENGTH or plate.strip() != plate:
        return False
    try:
        if normalise_pattern(plate, issuer) != plate:
            return False
        # with no issuer the model's first pass is the same call; with one, its first pass is _any_issuer
        return issuer is None or _any_issuer(plate) == plate
    except ValueError:
        return False


def lean_entry(data: object) -> EntryView | None:
    """The view of a clear entry in canonical form, checked as the model would; None declines it."""
    obj = json_object(data, _FIELDS)
    if obj is None:
        return None
    get = obj.get
    version = get("schema_version", 1)
    if (
        get("blind") is not None
        or get("sealed_details", _EMPTY) != _EMPTY  # a list, and empty: 0, "" and {} are declined
        or not _warnings(get("plate_warnings", _EMPTY))
        or type(version) is not int
        or version != 1
    ):
        return None
    entry_id, owner, operator, plate = get("entry_id"), get("owner"), get("operator"), get("plate")
    category, action, priority = get("category"), get("action"), get("priority")
    issuer_value, colour, tolerance = get("plate_issuer"), get("plate_colour"), get("tolerance", 0)
    legal_basis, description, scope = get("legal_basis"), get("description"), get("scope", _EMPTY)
    if (
        type(entry_id) is not str
        or _UUID(entry_id) is None
        or not _known_region(owner)
        or not _text(operator, _SHORT)
        or type(category) is not str
        or type(action) is not str
        or type(priority) is not str
        or (category := _CATEGORIES.get(category)) is None
        or (action := _ACTIONS.get(action)) is None
        or (priority := _PRIORITIES.get(priority)) is None
        or (colour is not None and (type(colour) is not str or colour not in _COLOURS))
        or type(tolerance) is not int
        or not 0 <= tolerance <= MAX_TOLERANCE
        or not _text(legal_basis, _TEXT)
        or (description is not None and not _text(description, _TEXT))
    ):
        return None
    if type(scope) is not list:
        return None
    if scope:  # known regions (all str, so hashable) and no repeat
        if not all(map(_known_region, scope)) or len(set(scope)) != len(scope):
            return None
        scope = tuple(scope)
    else:
        scope = ()
    issuer = None
    if issuer_value is not None and (
        type(issuer_value) is not str or (issuer := _ISSUERS.get(issuer_value)) is None
    ):
        return None
    if not _plate(plate, issuer) or (approval := _approval(get("approval"))) is None:
        return None
    placed_at, expires_at, review_at = get("placed_at"), get("expires_at"), get("review_at")
    if (
        type(placed_at) is not str
        or type(expires_at) is not str
        or (placed := utc_time(placed_at)) is None
        or (expires := utc_time(expires_at)) is None
        or expires <= placed
    ):
        return None
    if review_at is not None and (
        type(review_at) is not str
        or (review := utc_time(review_at)) is None
        or not placed <= review <= expires
    ):
        return None
    return _new(
        EntryView,
        (
            entry_id,
            owner,
            category,
            action,
            priority,
            plate,
            operator,
            legal_basis,
            approval,
            description,
            scope,
            colour,
            tolerance,
            expires.timestamp(),
            placed.timestamp(),
        ),
    )


def view_of(entry: WatchlistEntry) -> EntryView:
    """The view of a decoded clear entry (one with a plate)."""
    if entry.plate is None:
        raise ValueError("a blind entry has no view: it is stored with its tokens")
    return EntryView(
        entry.entry_id,
        entry.owner,
        entry.category,
        entry.action,
        entry.priority,
        entry.plate,
        entry.operator,
        entry.legal_basis,
        entry.approval,
        entry.description,
        entry.scope,
        entry.plate_colour.value if entry.plate_colour is not None else None,
        entry.tolerance,
        entry.expires_at.timestamp(),
        entry.placed_at.timestamp(),
    )


def read_entry(data: bytes | None) -> EntryView | WatchlistEntry:
    """The view of a canonical clear entry, else the model by ``decode``; raises DecodeError."""
    view = lean_entry(data)
    return view if view is not None else decode(data, WatchlistEntry)
