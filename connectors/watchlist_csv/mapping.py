"""Pure mapping of one watchlist CSV row to a PlaceCommand or WithdrawCommand's fields.

Free-text columns (``FREE_TEXT``) are neutralised against spreadsheet formulas on the way in
(``schemas.formula``): other regions open these fields in spreadsheets. Plates, codes, times and the
scope are not touched: their own patterns or vocabularies refuse anything a spreadsheet could run.
"""

from __future__ import annotations

import re
from typing import Any

from schemas.base import stable_event_id
from schemas.fields import parse_china_local_time
from schemas.formula import neutralise_formula

__all__ = ["COLUMNS", "FREE_TEXT", "command_fields", "entry_id"]

#: the columns a watchlist CSV may have (others are refused, so a typo is not silently ignored)
COLUMNS = frozenset(
    [
        "op",
        "reference",
        "plate",
        "plate_issuer",
        "plate_colour",
        "category",
        "action",
        "priority",
        "tolerance",
        "legal_basis",
        "description",
        "scope",
        "placed_at",
        "expires_at",
        "review_at",
        "operator",
        "approval_unit",
        "approval_approver",
        "approval_at",
        "approval_reference",
        "reason",
        "issued_at",
    ]
)
#: the columns of free text (names, numbers, references, reasons, descriptions) that are neutralised
#: against formulas: every text column but those a pattern or a vocabulary keeps free of them (plate,
#: codes, times, scope) and ``reference``, which only names the entry's id and is never shown
FREE_TEXT = frozenset(
    [
        "legal_basis",
        "description",
        "reason",
        "operator",
        "approval_unit",
        "approval_approver",
        "approval_reference",
    ]
)
_SCOPE_SPLIT = re.compile(r"[\s,;]+")


def entry_id(owner: str, reference: str) -> str:
    """The entry id of the owner's own reference: the same on every place and withdraw of it."""
    return stable_event_id(owner, "watchlist", reference)


def _time(value: str | None) -> Any:
    return parse_china_local_time(value) if value else None


def command_fields(row: dict[str, str], owner: str, line: str) -> dict[str, Any]:
    """The command's fields (validated later by the runtime); raises ValueError for an unusable row.

    The command id is derived from the line itself, so loading the same file again re-sends the same
    commands with the same ids (idempotent downstream), and the entry id from the owner's reference.
    """
    unknown = set(row) - COLUMNS
    if unknown:
        raise ValueError(
            f"unknown column(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(COLUMNS))}"
        )
    values = {k: v.strip() for k, v in row.items() if v is not None and v.strip()}
    values |= {k: neutralise_formula(v) for k, v in values.items() if k in FREE_TEXT}
    op = values.pop("op", "place").lower()
    reference = values.pop("reference", None)
    if not reference:
        raise ValueError("every line needs the owner's `reference` (the id of the entry in its own system)")
    approval = {
        "unit": values.pop("approval_unit", None),
        "approver": values.pop("approval_approver", None),
        "approved_at": _time(values.pop("approval_at", None)),
        "reference": values.pop("approval_reference", None),
    }
    issued_at = _time(values.pop("issued_at", None)) or approval["approved_at"]
    common = {
        "op": op,
        "command_id": stable_event_id(owner, "watchlist-command", line),
        "issued_at": issued_at,
        "approval": approval,
        "operator": values.pop("operator", None),
    }
    if op == "withdraw":
        return {
            **common,
            "entry_id": entry_id(owner, reference),
            "owner": owner,
            "reason": values.get("reason"),
        }
    entry: dict[str, Any] = {
        "entry_id": entry_id(owner, reference),
        "owner": owner,
        "operator": common.pop("operator"),
        "approval": common.pop("approval"),
        **{k: v for k, v in values.items() if k not in ("reason",)},
    }
    for name in ("placed_at", "expires_at", "review_at"):
        if name in entry:
            entry[name] = _time(entry[name])
    if "scope" in entry:
        entry["scope"] = [s for s in _SCOPE_SPLIT.split(entry["scope"]) if s]
    return {**common, "entry": entry}
